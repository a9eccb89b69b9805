import { StreamPermission } from "keyway";
import { PermissionChecks } from "./PermissionChecks";

/** The only permissions a session key or an access grant can carry. */
const DELEGABLE = [StreamPermission.PUBLISH, StreamPermission.SUBSCRIBE];

/** How long a session or a grant lasts, from now: short, since either is a bearer of the right until then. */
export const DURATIONS = [
  { label: "1 minute", ms: 60_000 },
  { label: "15 minutes", ms: 15 * 60_000 },
  { label: "1 hour", ms: 3_600_000 },
  { label: "8 hours", ms: 8 * 3_600_000 },
  { label: "24 hours", ms: 24 * 3_600_000 },
];

interface Props {
  permissions: StreamPermission[];
  onPermissions(permissions: StreamPermission[]): void;
  durationMs: number;
  onDuration(ms: number): void;
}

/** The Publish / Subscribe checkboxes and the duration, as a session key and an access grant both ask for them. */
export function DelegationFields({ permissions, onPermissions, durationMs, onDuration }: Props) {
  return (
    <>
      <PermissionChecks options={DELEGABLE} checked={permissions} onChange={onPermissions} />
      <label>
        Duration
        <select value={durationMs} onChange={(e) => onDuration(Number((e.target as HTMLSelectElement).value))}>
          {DURATIONS.map(({ label, ms }) => (
            <option value={ms}>{label}</option>
          ))}
        </select>
      </label>
    </>
  );
}
