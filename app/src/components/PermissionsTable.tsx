import { isPublicAssignment, type PermissionAssignment, PUBLIC_PERMISSIONS, STREAM_PERMISSIONS, type StreamPermission } from "keyway";
import { formatTime, permissionLabel as label } from "../format";

interface Props {
  assignments: PermissionAssignment[];
  /** "Change" on a row, for an account that may change permissions; no Actions column without it. */
  onChoose?(assignment: PermissionAssignment): void;
}

/** Holders × the five permissions with their expiries; the public's row is always there. */
export function PermissionsTable({ assignments, onChoose }: Props) {
  const rows = assignments.some(isPublicAssignment) ? assignments : [...assignments, { public: true as const, permissions: [] }];
  return (
    <table>
      <caption>Who holds which permission on this stream, and until when</caption>
      <thead>
        <tr>
          <th scope="col">Holder</th>
          {STREAM_PERMISSIONS.map((p) => (
            <th scope="col">{label(p)}</th>
          ))}
          {onChoose !== undefined && (
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {rows.map((assignment) => {
          const holder = isPublicAssignment(assignment) ? "Public (anyone)" : assignment.userId;
          return (
            <tr key={holder}>
              <th scope="row">{isPublicAssignment(assignment) ? holder : <code title={holder}>{holder}</code>}</th>
              {STREAM_PERMISSIONS.map((p) => (
                <td>{cell(assignment, p)}</td>
              ))}
              {onChoose !== undefined && (
                <td>
                  <button type="button" class="link" aria-label={`Change permissions of ${holder}`} onClick={() => onChoose(assignment)}>
                    Change
                  </button>
                </td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function cell(assignment: PermissionAssignment, permission: StreamPermission) {
  if (isPublicAssignment(assignment) && !PUBLIC_PERMISSIONS.includes(permission)) return <span class="muted">n/a</span>;
  if (!assignment.permissions.includes(permission)) {
    return (
      <span class="muted">
        <span aria-hidden="true">—</span>
        <span class="sr-only">not held</span>
      </span>
    );
  }
  const expiry = assignment.expiresAt?.[permission];
  return expiry === undefined ? <span class="held">forever</span> : <span class="held limited">until {formatTime(expiry)}</span>;
}
