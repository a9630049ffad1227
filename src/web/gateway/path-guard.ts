// The gateway's first check, before any session lookup or proxying: one spelling per path
// (src/gateway/request-path.ts), so /.gatehouse/../admin or /static/%2e%2e/admin cannot make
// gatehouse and the upstream disagree about which path was asked for.
import type { FastifyRequest } from "fastify";
import { ErrorCode, GatehouseError } from "../../core/errors.js";
import { isNormalPath, pathOf } from "../../gateway/request-path.js";

export async function refuseUnnormalizedPaths(request: FastifyRequest): Promise<void> {
  if (!isNormalPath(pathOf(request.url))) {
    throw new GatehouseError(
      ErrorCode.MALFORMED_REQUEST,
      "This address is not in its plain form (no '..', '.', '//', backslashes or encoded slashes). Use the address without them.",
    );
  }
}
