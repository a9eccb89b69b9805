// A relay as its own process (cluster tests and bench): options as JSON in KEYWAY_TEST_RELAY, log on stdout, SIGTERM closes it,
// SIGUSR2 prints a line `Broker traffic <n> {"received":…,"unneeded":…}` (n counts the requests).
import { createRelay } from "../relay";

async function main(): Promise<void> {
  const relay = await createRelay({ ...JSON.parse(process.env.KEYWAY_TEST_RELAY!), log: (line: string) => console.log(line) });
  process.once("SIGTERM", () => void relay.close().then(() => process.exit(0)));
  let requests = 0;
  process.on("SIGUSR2", () => console.log(`Broker traffic ${++requests} ${JSON.stringify(relay.brokerTraffic())}`));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
