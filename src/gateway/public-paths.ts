// GATEHOUSE_PUBLIC_PATHS: upstream paths anyone may reach without signing in. The same patterns
// name the paths of GATEHOUSE_ACCESS_RULES (access-rules.ts).
import { isNormalPath } from "./request-path.js";

/** Answers whether a normal-form path is public. */
export type PublicPaths = (path: string) => boolean;

export interface PublicPathRule {
  /** "/static" for "/static/*" (the path and everything below it), else the exact path. */
  path: string;
  withSubpaths: boolean;
}

/** The problem with one public path, or null when it is well formed. */
export function publicPathProblem(entry: string): string | null {
  if (entry === "/*") return "'/*' would make every path public";
  return pathPatternProblem(entry);
}

/**
 * The problem with one path pattern (an exact path, or a prefix ending in "/*"; "/*" is every
 * path), or null when it is well formed. Also the patterns of GATEHOUSE_ACCESS_RULES.
 */
export function pathPatternProblem(entry: string): string | null {
  const path = entry.endsWith("/*") ? entry.slice(0, -2) : entry;
  if (!isNormalPath(path === "" ? "/" : path)) return `'${entry}' is not a path in normal form (one leading '/', no '.', '..', '//', '%2f' or '\\')`;
  if (path.includes("*")) return `'${entry}' may use '*' only as a final '/*'`;
  return null;
}

export function parsePublicPathRules(entries: string[]): PublicPathRule[] {
  return entries.map((entry) =>
    entry.endsWith("/*") ? { path: entry.slice(0, -2), withSubpaths: true } : { path: entry, withSubpaths: false },
  );
}

export function publicPathMatcher(rules: PublicPathRule[]): PublicPaths {
  const exact = new Set(rules.filter((rule) => !rule.withSubpaths).map((rule) => rule.path));
  const prefixes = rules.filter((rule) => rule.withSubpaths).map((rule) => rule.path);
  return (path) => exact.has(path) || prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}
