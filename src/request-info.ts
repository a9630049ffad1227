// Who sent the request that caused a security event (client address, browser), carried to the
// activity log without threading it through every core call. The web layer runs each request
// inside `requestInfo.run(...)`; the CLI runs its commands inside one with the CLI's own label.
import { AsyncLocalStorage } from "node:async_hooks";

export interface RequestInfo {
  clientAddress: string | null;
  userAgent: string | null;
}

export const requestInfo = new AsyncLocalStorage<RequestInfo>();
