import { isPublicAssignment, type PermissionAssignment, StreamPermission } from "keyway";

/**
 * Whether the SDK encrypts on a stream with these holders: it does (under the client's default
 * `encryption: "auto"`) exactly when the public holds no Subscribe now.
 */
export function isEncryptedStream(assignments: PermissionAssignment[]): boolean {
  return !assignments.some((assignment) => isPublicAssignment(assignment) && assignment.permissions.includes(StreamPermission.SUBSCRIBE));
}

/** Says whether the open stream is encrypted, from the permissions as last read (nothing until they are). */
export function EncryptionNote({ assignments }: { assignments?: PermissionAssignment[] }) {
  if (assignments === undefined) return null;
  return isEncryptedStream(assignments) ? (
    <p class="encryption encrypted" role="note">
      Encrypted end to end: only Subscribe holders can read this stream; the relay carries ciphertext.
    </p>
  ) : (
    <p class="encryption" role="note">
      Not encrypted: anyone may subscribe to this stream, so its messages travel as plaintext.
    </p>
  );
}
