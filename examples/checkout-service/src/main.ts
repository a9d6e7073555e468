#!/usr/bin/env node
// The example as a process: `DARKLAUNCH_SDK_TOKEN=dl_sdk_… npm start -w examples/checkout-service`.
import { createClient } from "@darklaunch/sdk";
import { FLAGS, startCheckoutService } from "./checkout-service.js";

const url = process.env.DARKLAUNCH_URL ?? "http://127.0.0.1:4700";
const token = process.env.DARKLAUNCH_SDK_TOKEN;
if (!token) {
  process.stderr.write("set DARKLAUNCH_SDK_TOKEN to an sdk token: npx darklaunch tokens create --name checkout-service --scope sdk\n");
  process.exit(2);
}

const client = createClient({ url, token });
client.on("error", (error) => process.stderr.write(`darklaunch: ${error.message}\n`));
await client.ready();
const service = await startCheckoutService(client, { port: Number(process.env.PORT ?? 3000) });
process.stdout.write(`checkout service on ${service.url} (flags ${FLAGS.express}, ${FLAGS.pricing} from ${url})\n`);
process.stdout.write(
  `try: curl -s ${service.url}/quote -d '{"user":"u42","lines":[{"sku":"tea","unitCents":250,"quantity":1},{"sku":"cake","unitCents":250,"quantity":1}]}'\n`,
);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await service.close();
    // Sends the last experiment results and evaluation counts before the process ends.
    await client.close();
    process.exit(0);
  });
}
