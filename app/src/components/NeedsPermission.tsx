import type { StreamPermission } from "keyway";
import { shortAddress } from "../format";

interface Props {
  /** What cannot be done, e.g. "Changing the metadata". */
  what: string;
  permission: StreamPermission;
  address: string;
  /** Another way to the action, when there is one, e.g. "paste an access grant that allows it above". */
  remedy?: string;
}

/** Why a control is missing or disabled: the permission it needs, which the account does not hold. */
export function NeedsPermission({ what, permission, address, remedy }: Props) {
  return (
    <p class="hint reason">
      {what} needs the {permission} permission, which {shortAddress(address)} does not hold on this stream{remedy === undefined ? "." : `: ${remedy}.`}
    </p>
  );
}
