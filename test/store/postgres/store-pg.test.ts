import { test } from "bun:test";
import { storeContract } from "../contract.ts";
import { pgBackend, pgTestUrl } from "./pg-backend.ts";

const url = pgTestUrl();
if (url) storeContract("postgres", pgBackend(url), { test });
else test.skip("postgres: store contract (no PostgreSQL server; see above)", () => {});
