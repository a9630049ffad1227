// A user's groups: names an administrator gives (`gatehouse user groups`), matched by the
// gateway's access rules and passed to the app as X-Gatehouse-Groups (a comma-separated list).

/** A letter or digit first (never read as an option), then letters, digits, '_', '.', '-'; no ','. */
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const GROUP_NAME_RULE = "1-64 letters, digits, '_', '.' or '-', starting with a letter or digit";

export function isGroupName(name: string): boolean {
  return GROUP_NAME.test(name);
}

/**
 * Each group once, in one order everywhere (code-unit order, as a database collation may not
 * be): the header, `gatehouse user show` and the stored rows agree. Names compare exactly.
 */
export function sortedGroups(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
