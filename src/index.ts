// @gatehouse-2fa/gatehouse: Google-Authenticator-compatible second factor for a Node app's own
// users. Tables in the host's database (`openGatehouseTables`), the use cases over them
// (`createGatehouse`), and the types an adapter needs to apply their decisions.
export { createGatehouse, type Gatehouse, type GatehouseOptions } from "./gatehouse.js";
export { openGatehouseTables, type HostDatabase, type HostDatabaseOptions } from "./store/host-database.js";
export type {
  Delivery,
  Destination,
  Enrolling,
  FirstFactorInput,
  Page,
  SignIn,
  SignInDecision,
  StepCheck,
  Visit,
} from "./core/sign-in.js";
export type { AccountChanges, ConfirmFirstFactor, StepUp } from "./core/account-changes.js";
export type { SignInStep } from "./core/flow.js";
export type { EnrollmentView, TwoFactor } from "./core/two-factor.js";
export type { SessionManager, SessionTimeouts } from "./core/sessions.js";
export type { RememberedDevices } from "./core/remembered-devices.js";
export type { Sealer } from "./core/seal.js";
export type { PasswordHasher } from "./core/password.js";
export type {
  AccountHolder,
  Clock,
  RandomSource,
  RequestOrigin,
  SecondFactorThrottle,
  SecurityEventSink,
  SessionRecord,
  SessionWithUser,
} from "./core/ports.js";
export type { Store } from "./store/kysely-store.js";
export { ErrorCode, GatehouseError, ThrottledError } from "./core/errors.js";
