import type { Address } from "viem";
import type { Connection } from "./connection";
import type { SignedKeyRequest } from "../sdk/encryption/types";
import type { KeywayClient } from "../sdk/client";
import type { AuthorityContext } from "../sdk/delegation/check";
import type { MessageValidator } from "../sdk/message/validator";
import type { AddressBook } from "./remoteAddresses";
import type { InFlight } from "./inFlight";
import type { Broker } from "./broker";
import type { Presence } from "./presence";
import type { Transmitter } from "./transmitter";
import type { RelayLimits } from "./options";
import type { Sponsor } from "./sponsor";
import type { SubscriptionIndex } from "./subscriptions";

/** What the frame handlers and the enforcement share: one per relay. */
export interface RelayContext {
  client: KeywayClient;
  validator: MessageValidator;
  /** Judges the delegations (auth) and grants (subscribe) connections present, each recovered once. */
  authority: AuthorityContext;
  broker: Broker;
  /** Who is subscribed where, across the cluster. */
  presence: Presence;
  index: SubscriptionIndex;
  limits: RelayLimits;
  chainId: number;
  registryAddress: Address;
  send: Transmitter["send"];
  transmit: Transmitter["transmit"];
  drained: Transmitter["drained"];
  attach: Transmitter["attach"];
  /** How many polls reported registry changes (or a reorg): a read made across one may predate it. */
  registryChanges: number;
  /** Connections and failed sign-ins per remote address. */
  addresses: AddressBook;
  /** Requests' bytes and subscribes' node reads waiting, all connections together. */
  inFlight: InFlight;
  /** Connections with an open inbox, by signed-in address (a session key's: its holder's): where forwarded key exchange frames go (relay/inbox.ts). */
  inboxes: Map<Address, Set<Connection>>;
  /** Key requests forwarded lately (by signature): a copy is refused. */
  keyRequests: { admit(request: SignedKeyRequest, now: number): boolean };
  /** Sends signed changes for clients (`sponsor`); only with `sponsorKey`. */
  sponsor?: Sponsor;
}
