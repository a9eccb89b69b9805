import { streamKeyOf } from "keyway";
import type { ConnectedAccount } from "../account";
import { useReading } from "../reading";
import { useRegistryVersion } from "../registryVersion";
import { streamHref } from "../route";
import { listHeldStreams } from "../streams";
import { ErrorLine } from "./ErrorLine";

interface Props {
  account: ConnectedAccount;
  deployBlock: number;
  /** Changes after every confirmed write, so the list is read again. */
  refreshKey: number;
}

/**
 * "Your streams": every stream the account holds any permission on now, as links to their
 * pages; read again when the registry reports a change to the account's own entries, the
 * deletion of a listed stream, or when one of the listed permissions expires.
 */
export function HeldStreams({ account, deployBlock, refreshKey }: Props) {
  const me = account.address.toLowerCase();
  const version = useRegistryVersion(account.client, {
    affects: ({ streamKey, holder }) => holder === me || (holder === null && (streams ?? []).some((stream) => streamKeyOf(stream.streamId) === streamKey)),
    expiries: () => (streams ?? []).flatMap((stream) => stream.expiries),
  });
  const { value: streams, error } = useReading(() => listHeldStreams(account.client, account.address, deployBlock), account.address, refreshKey + version);
  return (
    <>
      <h3 id="held-heading">Your streams</h3>
      {error !== undefined ? (
        <ErrorLine message={error} />
      ) : streams === undefined ? (
        <p>Reading the registry's logs…</p>
      ) : streams.length === 0 ? (
        <p>None yet: create one above, or open one by id.</p>
      ) : (
        <ul aria-labelledby="held-heading" class="held">
          {streams.map((stream) => (
            <li key={stream.streamId}>
              <a href={streamHref(stream.streamId)}>{stream.streamId}</a> <span class="held-permissions">{stream.permissions.join(", ")}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
