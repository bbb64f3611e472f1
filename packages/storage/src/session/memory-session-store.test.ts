import { runSessionStoreContract } from "../contracts/session-store-contract.ts";
import { createMemorySessionStore } from "./memory-session-store.ts";

runSessionStoreContract("memory", () => {
  const store = createMemorySessionStore();
  return { open: () => store };
});
