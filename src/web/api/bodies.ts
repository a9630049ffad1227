// The JSON API's request bodies: parsed leniently as JSON, then declared field by field with zod
// (the forms' bounded text, src/web/forms.ts). Anything else is a 400 that changes nothing.
import type { FastifyRequest } from "fastify";
import { z } from "zod";
import { ErrorCode, GatehouseError } from "../../core/errors.js";
import { CredentialsForm, formText, parseForm } from "../forms.js";

/** Fastify's content-type parser for application/json, with the API's 400 for what is not JSON. */
export function parseJSONBody(_request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void): void {
  // The POSTs without fields (sign out, a new key) may come without a body.
  if (body === "") return done(null, {});
  try {
    // JSON.parse makes "__proto__" an own property, never the prototype; zod keeps declared fields only.
    done(null, JSON.parse(body));
  } catch {
    done(new GatehouseError(ErrorCode.MALFORMED_REQUEST, "The request body is not valid JSON."));
  }
}

/** The body as `schema` declares it, else MALFORMED_REQUEST naming the first bad field (never its value). */
export const parseBody = <T extends z.ZodType>(schema: T, body: unknown): z.infer<T> => parseForm(schema, body, "request");

const code = formText(64);

export const LoginBody = CredentialsForm;
export const CodeBody = z.object({ code });
export const ChallengeBody = CodeBody.extend({ remember: z.boolean().optional() });
export const RecoveryBody = z.object({ recoveryCode: code });
export const DisableBody = z.object({ password: formText(1024).pipe(z.string().min(1)), code });
