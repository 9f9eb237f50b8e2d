import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";

// Debian's Chromium; no browser is ever downloaded. scripts/test.mjs skips (or, with
// REQUIRE_BROWSER=1, fails) the browser project when it is missing.
const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/long/**"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        // npm run test:long: checks that take tens of seconds or gigabytes.
        test: {
          name: "long",
          include: ["test/long/**/*.test.ts"],
          environment: "node",
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: "browser",
          // test/node/ holds what needs Node (fs, worker_threads, util.inspect).
          include: ["test/*.test.ts"],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromium,
                args: [
                  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                ],
              },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
