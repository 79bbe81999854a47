import { test } from "bun:test";
import { bunSqlite } from "../../src/platform/bun.ts";
import { storeContract } from "./contract.ts";

storeContract("bun:sqlite", bunSqlite, { test });
