/**
 * Protocol v1 of the Keyway relay. The frames, codes and reasons are declared once, in
 * sdk/relay/protocol.ts, for the relay and the SDK alike; this module gives the relay's code
 * (and `keyway/relay`) one place to import them from.
 */
export * from "../sdk/relay/protocol";
export type { RequestFrame as Request } from "../sdk/relay/protocol";
