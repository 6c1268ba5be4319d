#!/usr/bin/env node
/*  Times the dashboard page's first render in headless Chromium: from
    navigation start to the first ranked rows drawn (the page marks it as
    window.jmFirstRender), for the job named in the address.  Used by
    bench/bench_dashboard.sh.

        node tests/e2e/first_render.js URL JOB [LOADS]

    Prints one line per load, then "first render: median M ms, max X ms"
    (the first load starts a fresh browser profile: nothing cached).     */
"use strict";
const path = require("path");
const fs = require("fs");
const { chromium } = require(path.join(__dirname, "..", "..", "node_modules", "playwright-core"));

const [url, job, loadsText] = process.argv.slice(2);
const loads = parseInt(loadsText || "5", 10);

(async () => {
    const profile = fs.mkdtempSync("/tmp/jm-render-");
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: "/usr/bin/chromium", headless: true, viewport: { width: 1400, height: 1000 },
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]
    });
    const page = context.pages()[0] || await context.newPage();
    const times = [];
    try {
        for (let load = 0; load < loads; load++) {
            await page.goto("about:blank");
            await page.goto(url + "/#job=" + encodeURIComponent(job));
            await page.waitForFunction(() => window.jmFirstRender !== undefined, null, { timeout: 30000 });
            const rows = await page.$$eval("#ranking-body tr", (trs) => trs.length);
            const ms = await page.evaluate(() => window.jmFirstRender);
            const paint = await page.evaluate(() => {
                const entry = performance.getEntriesByName("first-contentful-paint")[0];
                return entry ? entry.startTime : null;
            });
            times.push(ms);
            console.log("load " + (load + 1) + ": ranking drawn at " + ms.toFixed(1) + " ms (" + rows +
                        " rows; first contentful paint " + (paint === null ? "?" : paint.toFixed(1) + " ms") + ")");
        }
    } finally {
        await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    const sorted = times.slice().sort((a, b) => a - b);
    console.log("first render: median " + sorted[Math.floor(sorted.length / 2)].toFixed(1) +
                " ms, max " + sorted[sorted.length - 1].toFixed(1) + " ms, cold (first load) " + times[0].toFixed(1) + " ms");
})().catch((error) => { console.error(error); process.exit(1); });
