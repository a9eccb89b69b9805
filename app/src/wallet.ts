import type { EIP1193Provider } from "viem";

/** A wallet the page found: announced through EIP-6963, or the legacy `window.ethereum`. */
export interface InjectedWallet {
  /** EIP-6963 `uuid`, or "window.ethereum". */
  id: string;
  name: string;
  /** A data: URI of the wallet's icon (EIP-6963 only). */
  icon?: string;
  provider: EIP1193Provider;
}

interface AnnounceProviderEvent extends Event {
  detail?: { info?: { uuid?: string; name?: string; icon?: string }; provider?: EIP1193Provider };
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

/**
 * Finds the injected wallets (EIP-6963: listen for announcements, then ask for them) and calls
 * `onChange` with the list each time it grows. `window.ethereum` is listed only when no
 * announced wallet is that same provider. Returns the function that stops listening.
 */
export function discoverWallets(onChange: (wallets: InjectedWallet[]) => void, target: Window = window): () => void {
  const announced = new Map<string, InjectedWallet>();
  const publish = () => {
    const wallets = [...announced.values()];
    const legacy = target.ethereum;
    if (legacy !== undefined && !wallets.some((wallet) => wallet.provider === legacy)) {
      wallets.push({ id: "window.ethereum", name: "Browser wallet", provider: legacy });
    }
    onChange(wallets);
  };
  const onAnnounce = (event: Event) => {
    const { info, provider } = (event as AnnounceProviderEvent).detail ?? {};
    if (provider === undefined || typeof provider.request !== "function" || typeof info?.uuid !== "string") return;
    announced.set(info.uuid, { id: info.uuid, name: info.name || "Wallet", icon: info.icon, provider });
    publish();
  };
  target.addEventListener("eip6963:announceProvider", onAnnounce);
  target.dispatchEvent(new Event("eip6963:requestProvider"));
  publish();
  return () => target.removeEventListener("eip6963:announceProvider", onAnnounce);
}

/** Subscribes to a wallet's `accountsChanged` and `chainChanged`; returns the unsubscriber. */
export function watchWallet(provider: EIP1193Provider, onChange: () => void): () => void {
  provider.on?.("accountsChanged", onChange);
  provider.on?.("chainChanged", onChange);
  return () => {
    provider.removeListener?.("accountsChanged", onChange);
    provider.removeListener?.("chainChanged", onChange);
  };
}
