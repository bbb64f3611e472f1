import { runSmStoreContract } from "../contracts/sm-store-contract.ts";
import { createMemorySmStore } from "./memory-sm-store.ts";

runSmStoreContract("memory", () => createMemorySmStore());
