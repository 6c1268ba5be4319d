#!/usr/bin/env node
/*  The dashboard's page in headless Chromium (Debian's /usr/bin/chromium,
    driven by playwright-core).  Run by tests/integration/test_browser.py,
    which starts the stack and passes:

        DASH_URL    the dashboard, e.g. http://127.0.0.1:40123
        DASH_TOKEN  its bearer token
        DASH_JOB    a job with candidates ranked
        OUT_DIR     where screenshots and the browser profile go

    Prints "ok NAME" or "FAIL NAME: why" per check and "N passed, N failed";
    exits 1 when any failed.  The checks run in order on one page, each
    building on the last (a failed one is reported and the next goes on).  */
"use strict";
const path = require("path");
const fs = require("fs");
const { chromium } = require(path.join(__dirname, "..", "..", "node_modules", "playwright-core"));

const URL_BASE = process.env.DASH_URL;
const TOKEN = process.env.DASH_TOKEN;
const JOB = process.env.DASH_JOB;
const OUT = process.env.OUT_DIR || fs.mkdtempSync("/tmp/jm-e2e-");
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

async function api(method, apiPath, body) {
    const response = await fetch(URL_BASE + apiPath, {
        method, headers: { "Authorization": "Bearer " + TOKEN, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body)
    });
    const data = await response.json();
    if (!response.ok) throw new Error(method + " " + apiPath + " -> " + response.status + " " + JSON.stringify(data));
    return data;
}

const jobPath = "/api/v1/jobs/" + encodeURIComponent(JOB);

async function rowIds(page) {
    return page.$$eval("#ranking-body tr", (rows) => rows.map((row) => row.dataset.candidate));
}

async function waitRowsEqual(page, want, what) {
    try {
        await page.waitForFunction((ids) => {
            const rows = [...document.querySelectorAll("#ranking-body tr")].map((row) => row.dataset.candidate);
            return JSON.stringify(rows) === JSON.stringify(ids);
        }, want, { timeout: TIMEOUT });
    } catch (error) {
        equal(await rowIds(page), want, what);
    }
}

(async () => {
    const profile = path.join(OUT, "chromium-profile");
    fs.rmSync(profile, { recursive: true, force: true });
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: "/usr/bin/chromium",
        headless: true,
        viewport: { width: 1400, height: 1000 },
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    const pageErrors = [];
    const dialogs = [];
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("dialog", (dialog) => { dialogs.push(dialog.message()); dialog.dismiss(); });
    try {
        await check("page_loads_with_token_from_address", async () => {
            const response = await page.goto(URL_BASE + "/?token=" + encodeURIComponent(TOKEN));
            equal(response.status(), 200, "status of /");
            await page.waitForSelector("#job-select option", { state: "attached" });
            assert(!page.url().includes("token="), "token left in the address: " + page.url());
            assert(await page.locator("#token-form").isHidden(), "token form shown");
        });

        await check("pick_job_rows_follow_api", async () => {
            await page.selectOption("#job-select", JOB);
            const want = (await api("GET", jobPath + "/ranking?limit=20")).entries;
            await waitRowsEqual(page, want.map((entry) => entry.candidate), "row order");
            const cells = await page.$$eval("#ranking-body tr", (rows) => rows.map((row) => ({
                rank: row.cells[0].textContent.trim(),
                score: row.querySelector(".value").textContent.trim(),
                band: row.querySelector(".badge").textContent.trim(),
                required: row.cells[4].textContent.trim() })));
            equal(cells.map((cell) => cell.rank), want.map((entry) => String(entry.rank)), "ranks");
            equal(cells.map((cell) => cell.band), want.map((entry) => entry.band), "bands");
            equal(cells.map((cell) => cell.required), want.map((entry) => entry.required), "k of n");
            equal(cells.map((cell) => parseFloat(cell.score)), want.map((entry) => Math.round(entry.score * 10) / 10), "scores");
        });

        await check("paging_and_band_filter", async () => {
            const second = (await api("GET", jobPath + "/ranking?limit=20&offset=20")).entries;
            assert(second.length > 0, "the job needs more than 20 candidates");
            await page.click("#next-page");
            await waitRowsEqual(page, second.map((entry) => entry.candidate), "page 2");
            await page.click("#prev-page");
            await page.waitForFunction(() => document.querySelector("#ranking-body tr td").textContent.trim() === "1");
            await page.selectOption("#band-filter", "good");
            const good = (await api("GET", jobPath + "/ranking?limit=20&band=good")).entries;
            await waitRowsEqual(page, good.map((entry) => entry.candidate), "band good");
            await page.selectOption("#band-filter", "");
            await page.waitForFunction(() => document.querySelector("#ranking-body tr td").textContent.trim() === "1");
        });

        await check("search_by_name", async () => {
            const top = (await api("GET", jobPath + "/ranking?limit=5")).entries[3];
            const word = (top.name || top.candidate).split(" ")[0];
            await page.fill("#search", word.toLowerCase());
            await page.press("#search", "Enter");
            const want = (await api("GET", jobPath + "/ranking?limit=20&q=" + encodeURIComponent(word.toLowerCase()))).entries;
            await waitRowsEqual(page, want.map((entry) => entry.candidate), "search rows");
            assert(want.some((entry) => entry.candidate === top.candidate), "search finds " + top.candidate);
            await page.fill("#search", "");
            await page.press("#search", "Enter");
            await page.waitForFunction(() => document.querySelector("#ranking-body tr td").textContent.trim() === "1");
        });

        await check("row_click_opens_breakdown", async () => {
            const entry = (await api("GET", jobPath + "/ranking?limit=3")).entries[1];
            const result = (await api("GET", jobPath + "/results/" + encodeURIComponent(entry.candidate))).result;
            await page.click('#ranking-body tr[data-candidate="' + entry.candidate + '"]');
            await page.waitForFunction((id) => document.querySelector("#breakdown").textContent.includes(id), entry.candidate);
            const rows = await page.$$eval("#breakdown tbody tr", (trs) => trs.map((tr) => tr.textContent));
            equal(rows.length, result.requirements.length, "one row per requirement");
            result.requirements.forEach((requirement, index) => {
                assert(rows[index].includes(requirement.requirement), "row " + index + " names " + requirement.requirement);
                assert(rows[index].includes(requirement.status === "partial" ? "partial" : requirement.status),
                       "row " + index + " says " + requirement.status);
                if (requirement.via_name && requirement.status !== "missing")
                    assert(rows[index].includes(requirement.via_name), "row " + index + " says via " + requirement.via_name);
            });
        });

        await check("histogram_and_missing_skills", async () => {
            const summary = await api("GET", jobPath + "/summary");
            await page.waitForFunction(() => document.querySelectorAll("#histogram .bin").length === 10);
            const missing = await page.$$eval("#missing li", (items) => items.map((item) => item.textContent));
            const shown = summary.missing.slice(0, 10);
            equal(missing.length, Math.max(1, shown.length), "missing items (the ten first)");
            shown.forEach((item, index) => assert(missing[index].includes(item.requirement) &&
                missing[index].includes(String(item.count)), "missing " + index + ": " + missing[index]));
            const bars = await page.$$eval("#histogram .bin", (bins) => bins.map((bin) => bin.textContent.trim()));
            equal(bars.map((text) => parseInt(text || "0", 10) || 0), summary.histogram, "histogram counts");
        });

        await check("candidate_form_scores_and_ranks", async () => {
            await page.fill("#cand-id", "e2e-form-1");
            await page.fill("#cand-name", "Form Filler");
            await page.fill("#cand-skills", "Python, Django, PostgreSQL, Docker, REST APIs, Git, Linux, Redis");
            await page.click("#candidate-form button[type=submit]");
            await page.waitForFunction(() => /rank \d+/.test(document.querySelector("#candidate-result").textContent), null, { timeout: TIMEOUT });
            const text = await page.textContent("#candidate-result");
            const rank = parseInt(/rank (\d+)/.exec(text)[1], 10);
            const result = (await api("GET", jobPath + "/results/e2e-form-1")).result;
            assert(text.includes(result.score.toFixed(1)), "score shown: " + text);
            const page1 = (await api("GET", jobPath + "/ranking?limit=20&offset=" + (Math.floor((rank - 1) / 20) * 20))).entries;
            const entry = page1.find((item) => item.candidate === "e2e-form-1");
            assert(entry && entry.rank === rank, "API ranks it " + (entry && entry.rank) + ", page says " + rank);
            await page.waitForSelector('#ranking-body tr[data-candidate="e2e-form-1"]');
            await page.screenshot({ path: path.join(OUT, "dashboard.png"), fullPage: true });
        });

        await check("resume_text_is_scored", async () => {
            await page.fill("#cand-id", "e2e-resume-1");
            await page.fill("#cand-name", "");
            await page.fill("#cand-skills", "");
            await page.fill("#cand-resume", "Backend engineer: six years of Java and Spring Boot, PostgreSQL, Kafka and Kubernetes.");
            await page.click("#candidate-form button[type=submit]");
            await page.waitForFunction(() => /rank \d+/.test(document.querySelector("#candidate-result").textContent));
            const result = (await api("GET", jobPath + "/results/e2e-resume-1")).result;
            assert(result.requirements.some((item) => item.status !== "missing"), "skills found in the résumé");
        });

        await check("submitter_text_is_escaped", async () => {
            const evil = "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">";
            await api("POST", "/api/v1/match", { candidate: { id: "<b>e2e-evil</b>", name: evil, skills: ["Python", "Django", "PostgreSQL"] }, jobs: [JOB] });
            await page.fill("#search", "e2e-evil");
            await page.press("#search", "Enter");
            await page.waitForSelector('#ranking-body tr[data-candidate="<b>e2e-evil</b>"]');
            const row = page.locator('#ranking-body tr[data-candidate="<b>e2e-evil</b>"]');
            equal(await row.locator(".name").textContent(), evil, "name shown as text");
            equal(await row.locator(".cid").textContent(), "<b>e2e-evil</b>", "id shown as text");
            equal(await page.locator("#ranking-body img, #ranking-body script, #ranking-body b").count(), 0, "no markup made");
            await row.click();
            await page.waitForFunction(() => document.querySelector("#breakdown").textContent.includes("e2e-evil"));
            equal(await page.locator("#breakdown img, #breakdown script, #breakdown b").count(), 0, "none in the breakdown");
            await page.waitForTimeout(300);
            equal(await page.evaluate(() => window.__pwned), undefined, "no script ran");
            equal(dialogs, [], "no dialog");
            await page.screenshot({ path: path.join(OUT, "escaping.png"), fullPage: true });
            await page.fill("#search", "");
            await page.press("#search", "Enter");
        });

        await check("job_editor_autocompletes_skills", async () => {
            await page.click("#edit-job");
            await page.waitForSelector("#job-editor[open]");
            equal(await page.inputValue("#job-id"), JOB, "editing the job shown");
            const requirements = (await api("GET", jobPath)).job.requirements.length;
            await page.waitForFunction((n) => document.querySelectorAll("#req-body > tr").length === n, requirements);
            const options = await page.$$eval("#skill-names option", (items) => items.map((item) => item.value));
            assert(options.length > 50, "datalist of skills: " + options.length);
            assert(options.includes("PostgreSQL"), "PostgreSQL offered");
            await page.click("#cancel-job");
            await page.waitForSelector("#job-editor:not([open])", { state: "attached" });
        });

        await check("job_editor_creates_a_job", async () => {
            const health = await (await fetch(URL_BASE + "/healthz")).json();
            if (health.checks.services["jobmatch.jobs"].state !== "ok") {
                console.log("note: jobmatch.jobs not served; the editor's save is not checked");
                return;
            }
            await page.click("#new-job");
            await page.waitForSelector("#job-editor[open]");
            await page.fill("#job-id", "e2e-new-job");
            await page.fill("#job-title", "E2E <new> job");
            await page.click("#add-req");
            const input = page.locator("#req-body tr.req .skill-input").last();
            await input.fill("PostgreSQL");
            await input.press("Enter");
            await page.locator("#req-body tr.req").last().locator(".chip").waitFor();
            await page.click("#add-req");
            await page.locator("#req-body tr.req .skill-input").last().fill("Kubernets");
            await page.click("#save-job");
            await page.waitForFunction(() => document.querySelector("#editor-error").textContent.length > 0);
            const message = await page.textContent("#editor-error");
            assert(/Kubernets/.test(message), "the unknown skill is named: " + message);
            await page.locator("#req-body tr.req").last().locator("button.danger").click();
            await page.click("#save-job");
            await page.waitForSelector("#job-editor:not([open])", { state: "attached" });
            const job = (await api("GET", "/api/v1/jobs/e2e-new-job")).job;
            equal(job.title, "E2E <new> job", "title saved");
            equal(job.requirements.length, 1, "one requirement");
            equal(job.requirements[0].skill, "postgresql", "skill by id");
            await page.waitForFunction(() => [...document.querySelectorAll("#job-select option")].some((o) => o.value === "e2e-new-job"));
            await page.selectOption("#job-select", JOB);
            await page.waitForFunction((job) => document.querySelector("#job-select").value === job, JOB);
        });

        await check("ranking_refreshes_while_a_batch_runs", async () => {
            const before = (await api("GET", jobPath + "/ranking?limit=1")).total;
            const batch = [];
            for (let index = 0; index < 25; index++)
                batch.push({ id: "e2e-batch-" + index, name: "Batch " + index, skills: ["Python", "Django", "Git"].slice(0, 1 + index % 3) });
            await api("POST", "/api/v1/match", { candidates: batch, jobs: [JOB] });
            const want = before + 25;
            await page.waitForFunction((total) => document.querySelector("#page-info").textContent.includes(" of " + total.toLocaleString("en")), want, { timeout: TIMEOUT });
        });

        await check("system_section_lists_workers_and_queues", async () => {
            const system = await api("GET", "/api/v1/system");
            const want = system.workers.map((worker) => worker.id).sort();
            assert(want.length >= 3, "the matchers' workers are listed: " + JSON.stringify(want));
            await page.waitForFunction((ids) => {
                const rows = [...document.querySelectorAll("#system-workers tr")].map((row) => row.dataset.worker);
                return JSON.stringify(rows.sort()) === JSON.stringify(ids);
            }, want, { timeout: TIMEOUT });
            const services = await page.$$eval("#system-queues tr", (rows) => rows.map((row) => row.dataset.service));
            assert(services.includes("jobmatch.match"), "jobmatch.match queue row: " + JSON.stringify(services));
            const names = await page.$$eval("#system-workers tr td:nth-child(3)", (cells) => cells.map((cell) => cell.textContent));
            assert(names.every((name) => /:[0-9]+$/.test(name)), "matchers named host:pid: " + JSON.stringify(names));
            await page.locator("#system").screenshot({ path: path.join(OUT, "system.png") });
        });

        await check("no_page_errors", async () => {
            equal(pageErrors, [], "errors in the page");
        });
    } finally {
        await context.close();
    }
    console.log("screenshots in " + OUT);
    console.log(passed + " passed, " + failed + " failed");
    process.exit(failed ? 1 : 0);
})().catch((error) => {
    console.log("FAIL browser: " + (error && error.stack || error));
    console.log(passed + " passed, " + (failed + 1) + " failed");
    process.exit(1);
});
