#!/usr/bin/env node
/*  Attacks on the dashboard from a real browser (headless Debian chromium,
    driven by playwright-core).  Run by tests/integration/test_browser_security.py,
    which starts a stack with a dashboard without --token, a page of
    another origin (python3 -m http.server) and passes:

        DASH_URL    the dashboard, e.g. http://127.0.0.1:40123
        DASH_PORT   its port
        EVIL_URL    the other origin's attack page (csrf.html)
        OUT_DIR     where the browser profile goes

    The attack page posts a candidate to the dashboard the ways a hostile
    site can: a no-cors fetch with a text/plain body, a CORS fetch with
    JSON, a text/plain form and a urlencoded form (into iframes).  Then a
    page reached as http://evil.test:DASH_PORT/ (Chromium maps evil.test to
    127.0.0.1, as a DNS rebinding would) reads and writes "same-origin".
    Checks that every attack was refused where it landed; the Python side
    checks that nothing reached Redis.  Prints "ok NAME" / "FAIL NAME: why",
    "stored? ID" lines naming the ids to look for, and "N passed, N failed". */
"use strict";
const path = require("path");
const fs = require("fs");
const { chromium } = require(path.join(__dirname, "..", "..", "node_modules", "playwright-core"));

const DASH = process.env.DASH_URL;
const DASH_PORT = process.env.DASH_PORT;
const EVIL = process.env.EVIL_URL;
const OUT = process.env.OUT_DIR || fs.mkdtempSync("/tmp/jm-e2e-sec-");
const REBOUND = "http://evil.test:" + DASH_PORT;
const TIMEOUT = 30000;

let passed = 0, failed = 0;
async function check(name, fn) {
    try {
        await fn();
        passed++;
        console.log("ok " + name);
    } catch (error) {
        failed++;
        console.log("FAIL " + name + ": " + String(error && error.message || error).split("\n")[0]);
    }
}
function assert(condition, message) {
    if (!condition) throw new Error(message);
}
function equal(got, want, what) {
    const a = JSON.stringify(got), b = JSON.stringify(want);
    if (a !== b) throw new Error(what + ": got " + a.slice(0, 300) + ", want " + b.slice(0, 300));
}

(async () => {
    const profile = path.join(OUT, "chromium-profile-security");
    fs.rmSync(profile, { recursive: true, force: true });
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: "/usr/bin/chromium",
        headless: true,
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", "--host-resolver-rules=MAP evil.test 127.0.0.1",
               //  Chromium's own guard against public pages reaching loopback
               //  (Local Network Access) would stop the rebinding page before
               //  the dashboard sees it: off, so the dashboard's guard is tested
               "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
                   + "PrivateNetworkAccessSendPreflights"]
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    //  every request the browser sent to the dashboard, and its answer
    const seen = [];
    context.on("response", (response) => {
        const request = response.request();
        if (request.url().startsWith(DASH + "/api/"))
            seen.push({ method: request.method(), url: request.url(), status: response.status(),
                        body: request.postData() || "" });
    });
    try {
        await check("cross_site_page_cannot_write", async () => {
            const response = await page.goto(EVIL);
            equal(response.status(), 200, "the attack page");
            await page.waitForFunction(() => window.attackDone === true, null, { timeout: TIMEOUT });
            const outcome = await page.evaluate(() => window.attackOutcome);
            //  a CORS fetch with JSON dies at its preflight: the POST never leaves
            assert(outcome.cors.startsWith("rejected"), "the JSON CORS fetch: " + outcome.cors);
            //  the rest reach the dashboard, which refuses every one
            await page.waitForTimeout(300);
            const posts = seen.filter((entry) => entry.method === "POST");
            const bodies = posts.map((entry) => entry.body).join(" ");
            for (const id of ["csrf-fetch", "csrf-form"])
                assert(bodies.includes(id), id + " never reached the dashboard: " + JSON.stringify(posts));
            for (const entry of posts) {
                assert(entry.status === 403 || entry.status === 415,
                       "a cross-site POST answered " + entry.status + ": " + JSON.stringify(entry));
            }
            assert(!bodies.includes("csrf-cors"), "the CORS fetch's POST was sent");
            console.log("   cross-site POSTs refused: " + posts.map((entry) => entry.status).join(", "));
        });

        await check("own_page_writes_json", async () => {
            const response = await page.goto(DASH + "/");
            equal(response.status(), 200, "the dashboard's page");
            const status = await page.evaluate(async () => {
                const reply = await fetch("/api/v1/match", {
                    method: "POST", headers: { "Content-Type": "application/json" },
                    body: JSON.stringify({ candidate: { id: "browser-same-origin", skills: ["Python", "SQL"] },
                                           jobs: ["backend-developer"] }) });
                return reply.status;
            });
            equal(status, 200, "a same-origin JSON POST");
        });

        await check("rebound_host_refused", async () => {
            const response = await page.goto(REBOUND + "/");
            equal(response.status(), 421, "the page as evil.test");
            const text = await response.text();
            assert(text.includes("misdirected_request") && text.includes("evil.test"), "body: " + text.slice(0, 200));
            //  the rebinding itself: the attacker's page first comes from the
            //  attacker's server (played here by a route), then its requests
            //  go to evil.test, now 127.0.0.1: same-origin for the browser
            await page.route(REBOUND + "/rebind.html", (route) => route.fulfill({
                status: 200, contentType: "text/html", body: "<!doctype html><title>rebinding</title>" }));
            const attack = await page.goto(REBOUND + "/rebind.html");
            equal(attack.status(), 200, "the attacker's page as evil.test");
            const replies = await page.evaluate(async () => {
                const read = await fetch("/api/v1/jobs");
                const write = await fetch("/api/v1/match", {
                    method: "POST", headers: { "Content-Type": "application/json" },
                    body: JSON.stringify({ candidate: { id: "rebound-browser", skills: ["Python"] },
                                           jobs: ["backend-developer"] }) });
                return [read.status, (await read.json()).error.code, write.status];
            });
            equal(replies, [421, "misdirected_request", 421], "read and write as evil.test");
            const loopback = await page.goto("http://localhost:" + DASH_PORT + "/");
            equal(loopback.status(), 200, "the same page as localhost");
        });
    } finally {
        await context.close();
    }
    for (const id of ["csrf-fetch", "csrf-cors", "csrf-form", "csrf-urlform", "rebound-browser"])
        console.log("stored? " + id + " no");
    console.log("stored? browser-same-origin yes");
    console.log(passed + " passed, " + failed + " failed");
    process.exit(failed ? 1 : 0);
})().catch((error) => {
    console.log("FAIL browser: " + (error && error.stack || error));
    console.log(passed + " passed, " + (failed + 1) + " failed");
    process.exit(1);
});
