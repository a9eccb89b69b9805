import { useEffect, useState } from "preact/hooks";
import type { AppConfig } from "../config";
import { describeError } from "../errors";
import { shortAddress } from "../format";
import { connectWallet, developmentAccount, type OnTransactionSent, type ConnectedAccount, switchChain, type WrongChain } from "../account";
import { discoverWallets, type InjectedWallet, watchWallet } from "../wallet";
import { ErrorLine } from "./ErrorLine";

interface Props {
  config: AppConfig;
  account?: ConnectedAccount;
  onAccount(account: ConnectedAccount | undefined): void;
  onTransactionSent: OnTransactionSent;
}

/** Connects an injected wallet (or, on the local chain, a development account) and says which chain it is on. */
export function ConnectPanel({ config, account, onAccount, onTransactionSent }: Props) {
  const [wallets, setWallets] = useState<InjectedWallet[]>([]);
  const [walletId, setWalletId] = useState<string>();
  const [wrongChain, setWrongChain] = useState<WrongChain>();
  const [error, setError] = useState<string>();
  const [connecting, setConnecting] = useState(false);

  useEffect(() => discoverWallets(setWallets), []);
  const wallet = wallets.find((w) => w.id === walletId) ?? wallets[0];

  async function connect(chosen: InjectedWallet) {
    setConnecting(true);
    setError(undefined);
    try {
      const result = await connectWallet(chosen.provider, chosen.name, config, onTransactionSent);
      if ("wrongChain" in result) {
        setWrongChain(result);
        onAccount(undefined);
      } else {
        setWrongChain(undefined);
        onAccount(result);
      }
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setConnecting(false);
    }
  }

  // Follow the wallet: another account or chain chosen there is reflected here at once.
  const watched = account?.provider ?? wrongChain?.provider;
  useEffect(() => {
    if (watched === undefined || wallet === undefined) return undefined;
    return watchWallet(watched, () => void connect(wallet));
  }, [watched, wallet]);

  async function onSwitch() {
    if (wrongChain === undefined) return;
    setError(undefined);
    try {
      await switchChain(wrongChain.provider, config);
      if (wallet !== undefined) await connect(wallet);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  if (account !== undefined) {
    return (
      <section class="panel connect" aria-labelledby="connect-heading">
        <h2 id="connect-heading">Account</h2>
        <p>
          Connected as <code title={account.address}>{account.address}</code> ({account.label}
          {account.kind === "development" && <strong class="dev-mark"> — development key, local chain only</strong>}) on {config.chainName}.
        </p>
        <button type="button" onClick={() => onAccount(undefined)}>
          Disconnect
        </button>
      </section>
    );
  }

  const devAccounts = config.devAccounts.length > 0 && (
    <DevelopmentAccounts config={config} onChoose={(index) => onAccount(developmentAccount(config.devAccounts[index], index, config, onTransactionSent))} />
  );

  return (
    <section class="panel connect" aria-labelledby="connect-heading">
      <h2 id="connect-heading">Connect</h2>
      {wallets.length > 1 && (
        <label>
          Wallet{" "}
          <select value={wallet?.id} onChange={(event) => setWalletId((event.target as HTMLSelectElement).value)}>
            {wallets.map((w) => (
              <option value={w.id}>{w.name}</option>
            ))}
          </select>
        </label>
      )}
      <button type="button" class="primary" disabled={wallet === undefined || connecting} onClick={() => wallet && void connect(wallet)}>
        Connect wallet
      </button>
      {wallet === undefined && <p>No wallet found in this browser: install one (MetaMask, Rabby, …) to sign with your own account.</p>}
      {wallet !== undefined && wallets.length === 1 && <p class="hint">Uses {wallet.name}.</p>}
      {wrongChain !== undefined && (
        <div role="alert" class="error">
          <p>
            Wrong network: {wrongChain.label} is on chain {wrongChain.actualChainId}, but this registry is on {config.chainName} (chain {config.chainId}).
            Switch your wallet to chain {config.chainId}.
          </p>
          <button type="button" onClick={() => void onSwitch()}>
            Switch network
          </button>
        </div>
      )}
      <ErrorLine message={error} />
      {devAccounts && (wallet === undefined ? devAccounts : <details><summary>Or use a development account</summary>{devAccounts}</details>)}
    </section>
  );
}

/** The local chain's funded accounts that `npm start` prints: marked as the public test keys they are. */
function DevelopmentAccounts({ config, onChoose }: { config: AppConfig; onChoose(index: number): void }) {
  return (
    <div class="dev-accounts" aria-labelledby="dev-heading">
      <h3 id="dev-heading">Development accounts (local chain only)</h3>
      <p class="warning">
        These are Hardhat's public test keys, as printed by <code>npm start</code>: anyone can sign with them. Never use them on a real network.
      </p>
      <ul>
        {config.devAccounts.map((account, index) => (
          <li>
            <button type="button" onClick={() => onChoose(index)}>
              Use development account #{index}
            </button>{" "}
            <code title={account.address}>{shortAddress(account.address)}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}
