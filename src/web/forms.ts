// Form bodies arrive as untrusted strings (or arrays, for repeated fields). Each route declares
// its fields with zod; anything else is a 400 that changes nothing.
import { z } from "zod";
import { ErrorCode, GatehouseError } from "../core/errors.js";

/** A single text field of bounded length without NUL bytes. */
export function formText(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine((value) => !value.includes("\u0000"));
}

/** `what` names the body in the message: a form, or the JSON API's request. Never its values. */
export function parseForm<T extends z.ZodType>(schema: T, body: unknown, what = "form"): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join(".") || what;
    throw new GatehouseError(ErrorCode.MALFORMED_REQUEST, `The ${what} is incomplete or malformed (${field}).`);
  }
  return parsed.data;
}

export const OTPForm = z.object({ otp: formText(64) });
/** Contract: `remember` is an optional checkbox whose only value is 1. */
export const ChallengeForm = OTPForm.extend({ remember: z.literal("1").optional() });
export const RecoveryForm = z.object({ recovery_code: formText(64) });
export const CredentialsForm = z.object({
  username: formText(256).pipe(z.string().min(1)),
  password: formText(1024).pipe(z.string().min(1)),
  next: formText(4096).optional(),
});

/** `invite`: the token of the invitation the form was opened with (contract: Who may register). */
export const RegisterForm = CredentialsForm.extend({ invite: formText(64).optional() });

/** Account changes ask for the password and a second factor in the same request (R39). */
export const StepUpForm = z.object({ password: formText(1024).pipe(z.string().min(1)), otp: formText(64) });
export const ChangePasswordForm = z.object({
  password: formText(1024).pipe(z.string().min(1)),
  new_password: formText(1024),
  otp: formText(64).optional(),
});
export const DeviceForm = z.object({ device_id: formText(64) });
