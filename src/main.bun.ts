/** Entry point on Bun (dist/warrant): pick the platform, nothing else. */
import { bunPlatform } from "./platform/bun.ts";
import { main } from "./runtime/main.ts";

main(bunPlatform);
