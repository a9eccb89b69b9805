import { createServer, type Socket, connect } from "node:net";

/** A TCP proxy on a free 127.0.0.1 port in front of a relay: dropping its sockets drops clients' connections while the relay runs on. */
export interface TcpProxy {
  /** ws://127.0.0.1:<proxy port> */
  url: string;
  /** Connections passing through now. */
  connectionCount(): number;
  /** Destroys every connection at once (both sides), as a network failure would. */
  dropAll(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) socket.on("error", end).on("close", end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const dropAll = () => [...pairs].forEach(([client, upstream]) => (client.destroy(), upstream.destroy()));
  return {
    url: `ws://127.0.0.1:${port}`,
    connectionCount: () => pairs.size,
    dropAll,
    close: () =>
      new Promise((resolve) => {
        dropAll();
        server.close(() => resolve());
      }),
  };
}
