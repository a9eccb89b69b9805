// relay/enforcement.ts and relay/handlers/subscribe.ts import streamExists from here; the actions
// now live one a file (createStream.ts, deleteStream.ts, ...). Delete this file once they import ./streamExists.
export { streamExists } from "./streamExists";
