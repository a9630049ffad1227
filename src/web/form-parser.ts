// A strict application/x-www-form-urlencoded parser for @fastify/formbody: invalid
// percent-encoding is a malformed request (400), never silently kept as literal text.
import { ErrorCode, GatehouseError } from "../core/errors.js";

/** Our forms have at most five fields; a few hundred pairs is an attack on the parser. */
const MAX_FIELDS = 32;

export type FormBody = Record<string, string | string[]>;

function decode(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, " "));
  } catch {
    throw new GatehouseError(ErrorCode.MALFORMED_REQUEST, "The form was not encoded correctly.");
  }
}

export function parseFormStrict(body: string): FormBody {
  // No prototype: a field named __proto__ is just a field.
  const fields: FormBody = Object.create(null) as FormBody;
  const pairs = body.split("&").filter((pair) => pair !== "");
  if (pairs.length > MAX_FIELDS) {
    throw new GatehouseError(ErrorCode.MALFORMED_REQUEST, "The form has too many fields.");
  }
  for (const pair of pairs) {
    const separator = pair.indexOf("=");
    const name = decode(separator === -1 ? pair : pair.slice(0, separator));
    const value = decode(separator === -1 ? "" : pair.slice(separator + 1));
    const previous = fields[name];
    fields[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return fields;
}
