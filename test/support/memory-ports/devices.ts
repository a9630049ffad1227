// RememberedDeviceStore in memory (src/store/devices.ts). A browser counts while its row carries
// its account's current factor version (R46, R47); UserStore.forgetAllDevices moves that on.
import type { RememberedDeviceRecord, RememberedDeviceStore } from "../../../src/core/ports.js";
import { accountOf, insertNew, type DeviceRow, type MemoryTables } from "./tables.js";

const toRecord = ({ id, tokenHash, userId, label, createdAt, expiresAt }: DeviceRow): RememberedDeviceRecord => ({
  id,
  tokenHash,
  userId,
  label,
  createdAt,
  expiresAt,
});

export function createRememberedDeviceStore(tables: MemoryTables): RememberedDeviceStore {
  const { devices } = tables;
  /** The user's browsers that still work at `now`. */
  const working = (userId: string, now: number) => {
    const account = tables.accounts.get(userId);
    return [...devices.values()].filter(
      (device) => device.userId === userId && device.expiresAt > now && device.factorVersion === account?.factorVersion,
    );
  };

  return {
    async rememberDevice(record) {
      const { factorVersion } = accountOf(tables, record.userId);
      if ([...devices.values()].some((device) => device.tokenHash === record.tokenHash)) {
        throw new Error("unique violation: token hash");
      }
      insertNew(devices, record.id, { ...record, factorVersion });
    },

    async isRemembered(userId, tokenHashes, now) {
      // An account without an app user (a host app's, as a library) has nobody to disable.
      const disabled = (tables.users.get(userId)?.disabledAt ?? null) !== null;
      return !disabled && working(userId, now).some((device) => tokenHashes.includes(device.tokenHash));
    },

    async listDevices(userId, now) {
      return working(userId, now)
        .sort((x, y) => y.createdAt - x.createdAt)
        .map(toRecord);
    },

    async forgetDevice(userId, deviceId) {
      // Never another user's browser.
      return devices.get(deviceId)?.userId === userId && devices.delete(deviceId);
    },
  };
}
