// Who may reach which path of the app behind the gateway: GATEHOUSE_ACCESS_RULES (a JSON file)
// and GATEHOUSE_PUBLIC_PATHS, decided here without any framework, for the built-in proxy, its
// WebSocket upgrades and the forward-auth verify endpoint alike. The first rule whose paths
// match decides (Authelia's access_control reads the same way); no match: the default.
import { z } from "zod";
import { usernameKey } from "../core/credentials.js";
import { GROUP_NAME_RULE, isGroupName } from "../core/groups.js";
import { parsePublicPathRules, pathPatternProblem, publicPathMatcher, type PublicPathRule } from "./public-paths.js";

/**
 * public: pass without a session; allow: pass (a full sign-in it admits); deny: 403 (a full
 * sign-in it does not admit); sign-in: nobody is fully signed in, so 303 to sign in or 401.
 */
export type AccessDecision = "public" | "allow" | "deny" | "sign-in";

/** A fully signed-in user as the rules see them. */
export interface Identity {
  username: string;
  groups: readonly string[];
}

/** Who a rule lets through; `public` lets anyone through, even without a session. */
type Admits = { public: true } | { groups: ReadonlySet<string> } | { users: ReadonlySet<string> };

export interface AccessRule {
  paths: PublicPathRule[];
  admits: Admits;
}

export interface AccessRules {
  /** When no rule matches: signed-in lets any full sign-in through, deny nobody. */
  default: "signed-in" | "deny";
  rules: AccessRule[];
}

/** Decides one request: `path` in normal form, or undefined when no trusted proxy named it. */
export type AccessPolicy = (path: string | undefined, identity: Identity | null) => AccessDecision;

/** A string with no problem; otherwise the issue is the problem, naming the string. */
function checked(problem: (value: string) => string | null) {
  return z.string().superRefine((value, context) => {
    const found = problem(value);
    if (found !== null) context.addIssue({ code: "custom", message: found });
  });
}

const PathPattern = checked(pathPatternProblem);
const GroupName = checked((name) => (isGroupName(name) ? null : `${JSON.stringify(name)} is not a group name (${GROUP_NAME_RULE})`));
const Username = checked((name) => (usernameKey(name) !== null ? null : `${JSON.stringify(name)} is not a username`));

/** Zod strict objects: a field of another name stops startup, named; anything else is `notObject`. */
function objectError(notObject: string) {
  return {
    error: (issue: { code?: string; keys?: string[] }) =>
      issue.code === "unrecognized_keys" ? `unknown field ${JSON.stringify(issue.keys?.[0] ?? "")}` : notObject,
  };
}

const RuleSchema = z
  .strictObject({
    paths: z.array(PathPattern, "must be a list of paths").min(1, "must name at least one path"),
    public: z.literal(true, "may only be true (leave it out otherwise)").optional(),
    groups: z.array(GroupName, "must be a list of group names").min(1, "must name at least one group").optional(),
    users: z.array(Username, "must be a list of usernames").min(1, "must name at least one user").optional(),
  }, objectError("a rule must be an object {\"paths\": [...], ...}"))
  .superRefine((rule, context) => {
    const kinds = (["public", "groups", "users"] as const).filter((kind) => rule[kind] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? "none" : kinds.join(" and ");
      context.addIssue({ code: "custom", message: `a rule needs exactly one of public, groups or users (found ${found})` });
    }
    // As in GATEHOUSE_PUBLIC_PATHS: a gateway that lets everyone in everywhere guards nothing.
    if (rule.public && rule.paths.includes("/*")) context.addIssue({ code: "custom", path: ["paths"], message: "'/*' would make every path public" });
  });

const FileSchema = z.strictObject(
  {
    default: z.enum(["signed-in", "deny"], 'must be "signed-in" or "deny"'),
    rules: z.array(RuleSchema, "must be a list of rules"),
  },
  objectError('the file must hold one object {"default": ..., "rules": [...]}'),
);

/** A rules file that cannot be used; the message is one line naming the problem. */
export class AccessRulesError extends Error {
  override name = "AccessRulesError";
}

/** ["rules", 0, "groups", 1] → "rules[0].groups[1]". */
function where(path: readonly PropertyKey[]): string {
  return path.map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`)).join("");
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ");

/** Parses the text of a rules file, or throws AccessRulesError. */
export function parseAccessRules(text: string): AccessRules {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AccessRulesError(`not valid JSON: ${oneLine((error as Error).message)}`);
  }
  const parsed = FileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const at = where(issue.path);
    throw new AccessRulesError(oneLine(at === "" ? issue.message : `${at}: ${issue.message}`));
  }
  return {
    default: parsed.data.default,
    rules: parsed.data.rules.map((rule) => ({
      paths: parsePublicPathRules(rule.paths),
      admits: rule.public
        ? { public: true }
        : rule.groups
          ? { groups: new Set(rule.groups) }
          : // Usernames compare as the app compares them: without regard to case.
            { users: new Set((rule.users ?? []).map((name) => usernameKey(name)!)) },
    })),
  };
}

function admitsIdentity(admits: Admits, identity: Identity): boolean {
  if ("public" in admits) return true;
  if ("users" in admits) return admits.users.has(usernameKey(identity.username) ?? "");
  return identity.groups.some((group) => admits.groups.has(group));
}

/**
 * GATEHOUSE_PUBLIC_PATHS are public rules evaluated before the file's rules; without a file,
 * every other path takes any full sign-in (the gateway's behaviour before access rules).
 */
export function createAccessPolicy(publicPaths: PublicPathRule[], file: AccessRules | undefined): AccessPolicy {
  const rules: AccessRule[] = [
    ...(publicPaths.length > 0 ? [{ paths: publicPaths, admits: { public: true } as const }] : []),
    ...(file?.rules ?? []),
  ];
  const defaultAllows = (file?.default ?? "signed-in") === "signed-in";
  const exactly = rules.map((rule) => ({ matches: publicPathMatcher(rule.paths), admits: rule.admits }));
  const leniently = rules.map((rule) => ({ matches: publicPathMatcher(rule.paths.map(lenientPattern)), admits: rule.admits }));

  const decideBy = (matchers: typeof exactly, path: string | undefined, identity: Identity | null): AccessDecision => {
    // An unknown path (forward auth without a trusted proxy's URI) is never public, and lets
    // through only someone every rule and the default would let through: it may be any path.
    const rule = path === undefined ? undefined : matchers.find((candidate) => candidate.matches(path));
    if (rule && "public" in rule.admits) return "public";
    if (identity === null) return "sign-in";
    if (rule) return admitsIdentity(rule.admits, identity) ? "allow" : "deny";
    if (path === undefined) {
      return defaultAllows && rules.every((candidate) => admitsIdentity(candidate.admits, identity)) ? "allow" : "deny";
    }
    return defaultAllows ? "allow" : "deny";
  };

  // The stricter of the path as written and as a lenient upstream reads it (lenientReading).
  return (path, identity) => {
    const exact = decideBy(exactly, path, identity);
    const lenient = decideBy(leniently, path === undefined ? undefined : lenientReading(path), identity);
    return STRICTNESS.indexOf(exact) >= STRICTNESS.indexOf(lenient) ? exact : lenient;
  };
}

/** From the decision that lets the most through to the one that lets the least. */
const STRICTNESS: readonly AccessDecision[] = ["public", "allow", "sign-in", "deny"];

/**
 * A path as lenient upstreams read it: Java servers drop each segment's ";parameters" (Tomcat
 * serves /admin;x/y as /admin/y) and merge "//", Express and IIS ignore letter case, Express a
 * final "/". A rule holds under this reading too, or /Admin, /admin;x/y and /exact/ would slip
 * past rules for /admin/* and /exact to such an app.
 */
export function lenientReading(path: string): string {
  const read = path.split("/").map((segment) => segment.split(";", 1)[0]).join("/").replace(/\/{2,}/g, "/").toLowerCase();
  return read.length > 1 && read.endsWith("/") ? read.slice(0, -1) : read;
}

function lenientPattern(pattern: PublicPathRule): PublicPathRule {
  return { path: pattern.path === "" ? "" : lenientReading(pattern.path), withSubpaths: pattern.withSubpaths };
}
