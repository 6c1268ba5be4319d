/*  jobmatch dashboard page: plain JavaScript, no build step.

    Talks only to the dashboard's JSON API (/api/v1, proto/openapi.yaml).
    Everything a submitter wrote (names, ids, skills, job texts) reaches the
    page through textContent or form values, never through innerHTML, so a
    candidate named <script> shows as text.  The dashboard's
    Content-Security-Policy forbids inline scripts besides.

    The access token, when the dashboard asks for one, comes once from
    ?token= in the address (then removed from it) or from the token form,
    and is kept in sessionStorage for this tab.                           */
(function () {
    "use strict";

    const TOKEN_KEY = "jobmatch.token";
    const POLL_FAST_MS = 2000;        // while the ranking changes or a re-scoring runs
    const POLL_SLOW_MS = 10000;       // otherwise, to notice a new batch
    const STABLE_POLLS = 3;           // unchanged polls before slowing down

    const state = {
        jobs: [],
        job: null,                    // current job id
        offset: 0,
        limit: 20,
        band: "",
        minScore: "",
        q: "",
        total: null,
        matching: null,
        version: null,
        rescoring: null,
        selected: null,               // candidate id whose breakdown is shown
        highlight: null,              // candidate id to mark in the table
        stablePolls: 0,
        pollTimer: null,
        taxonomy: null,
        editing: null                 // job being edited, null for a new one
    };

    const $ = (id) => document.getElementById(id);

    // ---------------------------------------------------------------- DOM

    /*  el("td", {className: "num"}, "text", child...) builds an element; text
        children become text nodes, never markup.  */
    function el(tag, props, ...children) {
        const node = document.createElement(tag);
        if (props) {
            for (const [key, value] of Object.entries(props)) {
                if (value === undefined || value === null) continue;
                if (key === "dataset") Object.assign(node.dataset, value);
                else if (key in node) node[key] = value;
                else node.setAttribute(key, value);
            }
        }
        for (const child of children) {
            if (child === null || child === undefined || child === false) continue;
            node.append(child instanceof Node ? child : document.createTextNode(String(child)));
        }
        return node;
    }

    function clear(node) {
        while (node.firstChild) node.removeChild(node.firstChild);
    }

    function formatNumber(value) {
        return typeof value === "number" ? value.toLocaleString("en-US") : "–";
    }

    function formatScore(value) {
        return typeof value === "number" ? value.toFixed(1) : "–";
    }

    let noticeTimer = null;
    function notice(text, kind) {
        const box = $("notice");
        box.textContent = text;
        box.className = "notice " + (kind || "error");
        box.hidden = false;
        clearTimeout(noticeTimer);
        noticeTimer = setTimeout(() => { box.hidden = true; }, 8000);
    }

    // ---------------------------------------------------------------- API

    class ApiError extends Error {
        constructor(status, body) {
            const error = (body && body.error) || {};
            super(error.message || ("HTTP " + status));
            this.status = status;
            this.code = error.code || "http_" + status;
            this.detail = error;
        }
    }

    function token() {
        return sessionStorage.getItem(TOKEN_KEY) || "";
    }

    async function api(path, options) {
        options = options || {};
        const headers = { "Accept": "application/json" };
        if (token()) headers["Authorization"] = "Bearer " + token();
        let body;
        if (options.body !== undefined) {
            headers["Content-Type"] = "application/json";
            body = JSON.stringify(options.body);
        }
        const response = await fetch(path, { method: options.method || "GET", headers, body });
        let data = null;
        const text = await response.text();
        if (text) {
            try { data = JSON.parse(text); } catch (e) { data = null; }
        }
        if (!response.ok) {
            if (response.status === 401) askToken();
            throw new ApiError(response.status, data);
        }
        return data;
    }

    function query(params) {
        const parts = [];
        for (const [key, value] of Object.entries(params)) {
            if (value === "" || value === null || value === undefined) continue;
            parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value));
        }
        return parts.length ? "?" + parts.join("&") : "";
    }

    const jobPath = (job) => "/api/v1/jobs/" + encodeURIComponent(job);

    // ---------------------------------------------------------------- token

    function takeTokenFromAddress() {
        const url = new URL(window.location.href);
        const given = url.searchParams.get("token");
        if (given) {
            sessionStorage.setItem(TOKEN_KEY, given);
            url.searchParams.delete("token");
            history.replaceState(null, "", url.pathname + url.search + url.hash);
        }
    }

    function askToken() {
        $("token-form").hidden = false;
        $("token-input").focus();
    }

    $("token-form").addEventListener("submit", (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, $("token-input").value.trim());
        $("token-input").value = "";
        $("token-form").hidden = true;
        start();
    });

    // ---------------------------------------------------------------- jobs

    async function loadJobs(selectId) {
        const data = await api("/api/v1/jobs");
        state.jobs = data.jobs || [];
        const select = $("job-select");
        clear(select);
        for (const job of state.jobs) {
            select.append(el("option", { value: job.id }, job.title + " (" + job.id + ")"));
        }
        const wanted = selectId || state.job || jobFromHash() || (state.jobs[0] && state.jobs[0].id);
        if (wanted && state.jobs.some((job) => job.id === wanted)) {
            select.value = wanted;
            await selectJob(wanted);
        } else if (state.jobs.length) {
            select.value = state.jobs[0].id;
            await selectJob(state.jobs[0].id);
        } else {
            state.job = null;
            renderRanking(null);
        }
    }

    function jobFromHash() {
        const match = /(?:^#|&)job=([^&]*)/.exec(window.location.hash);
        return match ? decodeURIComponent(match[1]) : null;
    }

    function jobInfo(id) {
        return state.jobs.find((job) => job.id === id) || null;
    }

    async function selectJob(id) {
        state.job = id;
        state.offset = 0;
        state.selected = null;
        state.highlight = null;
        history.replaceState(null, "", "#job=" + encodeURIComponent(id));
        const info = jobInfo(id);
        $("job-meta").textContent = info
            ? "version " + info.version + " · " + info.requirements + " requirements"
            : "";
        clear($("breakdown"));
        $("breakdown").append(el("p", { className: "empty" }, "Click a row to see why it scored as it did."));
        await Promise.all([loadRanking(), loadSummary()]);
        schedulePoll(POLL_FAST_MS);
    }

    $("job-select").addEventListener("change", (event) => {
        selectJob(event.target.value).catch(showError);
    });

    // ---------------------------------------------------------------- ranking

    async function loadRanking() {
        if (!state.job) return null;
        const data = await api(jobPath(state.job) + "/ranking" + query({
            offset: state.offset, limit: state.limit, band: state.band,
            min_score: state.minScore, q: state.q
        }));
        renderRanking(data);
        return data;
    }

    function renderRanking(data) {
        const body = $("ranking-body");
        clear(body);
        const entries = (data && data.entries) || [];
        for (const entry of entries) {
            const score = typeof entry.score === "number" ? entry.score : 0;
            const bar = el("div", { className: "bar" }, el("div", { className: "fill band-" + entry.band }));
            bar.firstChild.style.width = Math.max(0, Math.min(100, score)) + "%";
            const row = el("tr", { className: "rank-row", tabIndex: 0, dataset: { candidate: entry.candidate } },
                el("td", { className: "num" }, entry.rank),
                el("td", { className: "who" },
                    el("span", { className: "name" }, entry.name || entry.candidate),
                    el("span", { className: "cid" }, entry.candidate)),
                el("td", { className: "score" }, bar, el("span", { className: "value" }, formatScore(entry.score))),
                el("td", null, el("span", { className: "badge band-" + entry.band }, entry.band)),
                el("td", { className: "required" }, entry.required || ""));
            if (entry.candidate === state.selected) row.classList.add("selected");
            if (entry.candidate === state.highlight) row.classList.add("highlight");
            row.addEventListener("click", () => openBreakdown(entry.candidate));
            row.addEventListener("keydown", (event) => {
                if (event.key === "Enter") openBreakdown(entry.candidate);
            });
            body.append(row);
        }
        $("ranking-empty").hidden = entries.length > 0;
        if (data) {
            state.total = data.total;
            state.matching = data.matching;
            state.version = data.version;
            state.rescoring = data.rescoring || null;
        }
        const matching = data ? data.matching : 0;
        const first = entries.length ? state.offset + 1 : 0;
        const last = state.offset + entries.length;
        let info = formatNumber(first) + "–" + formatNumber(last) + " of " + formatNumber(matching);
        if (data && data.total !== data.matching) info += " (" + formatNumber(data.total) + " ranked)";
        if (data && data.search && !data.search.complete) {
            info += " · searched the best " + formatNumber(data.search.scanned);
        }
        $("page-info").textContent = info;
        $("prev-page").disabled = state.offset === 0;
        $("next-page").disabled = !data || last >= matching;
        renderRescoring(state.rescoring);
        if (!window.jmFirstRender && data) {
            window.jmFirstRender = performance.now();
            performance.mark("jm-first-render");
        }
    }

    function renderRescoring(progress) {
        const box = $("rescoring");
        if (!progress) {
            box.hidden = true;
            return;
        }
        box.hidden = false;
        $("rescoring-text").textContent = "Re-scoring for version " + progress.version + ": " +
            formatNumber(progress.done) + " of " + formatNumber(progress.total) +
            " — this ranking is version " + state.version + " until it completes";
        $("rescoring-bar").max = Math.max(1, progress.total);
        $("rescoring-bar").value = progress.done;
    }

    $("prev-page").addEventListener("click", () => {
        state.offset = Math.max(0, state.offset - state.limit);
        loadRanking().catch(showError);
    });
    $("next-page").addEventListener("click", () => {
        state.offset += state.limit;
        loadRanking().catch(showError);
    });
    $("page-size").addEventListener("change", (event) => {
        state.limit = parseInt(event.target.value, 10) || 20;
        state.offset = 0;
        loadRanking().catch(showError);
    });
    $("filters").addEventListener("submit", (event) => {
        event.preventDefault();
        applyFilters();
    });
    $("band-filter").addEventListener("change", applyFilters);

    function applyFilters() {
        state.band = $("band-filter").value;
        state.minScore = $("min-score").value.trim();
        state.q = $("search").value.trim();
        state.offset = 0;
        loadRanking().catch(showError);
    }

    // ---------------------------------------------------------------- live refresh

    function schedulePoll(delay) {
        clearTimeout(state.pollTimer);
        state.pollTimer = setTimeout(poll, delay);
    }

    /*  While a batch runs the ranking's total grows, and while a job's new
        version is re-scored "rescoring" is set: refresh then every two
        seconds; once nothing changed for a few polls, check every ten.  */
    async function poll() {
        if (!state.job || document.hidden) {
            schedulePoll(POLL_SLOW_MS);
            return;
        }
        try {
            const before = { total: state.total, version: state.version };
            const data = await api(jobPath(state.job) + "/ranking" + query({ limit: 1 }));
            const changed = data.total !== before.total || data.version !== before.version;
            const busy = changed || !!data.rescoring;
            if (busy) {
                state.stablePolls = 0;
                await Promise.all([loadRanking(), loadSummary()]);
            } else {
                state.stablePolls++;
            }
            const live = $("live");
            live.hidden = !busy;
            live.textContent = data.rescoring ? "re-scoring…" : "updating";
            schedulePoll(state.stablePolls < STABLE_POLLS ? POLL_FAST_MS : POLL_SLOW_MS);
        } catch (error) {
            schedulePoll(POLL_SLOW_MS);
        }
    }

    // ---------------------------------------------------------------- summary

    async function loadSummary() {
        if (!state.job) return;
        let data;
        try {
            data = await api(jobPath(state.job) + "/summary");
        } catch (error) {
            renderSummary(null);
            throw error;
        }
        renderSummary(data);
    }

    function renderSummary(data) {
        const histogram = $("histogram");
        clear(histogram);
        // the band table (names, best first, and the bin width) comes with the summary
        const table = (data && data.band_table) || { bands: [], bin_width: 10 };
        const width = table.bin_width;
        const bins = (data && data.histogram) || [];
        const highest = Math.max(1, ...bins);
        bins.forEach((count, index) => {
            const bar = el("div", { className: "bin", title: (index * width) + "–" + (index * width + width) + ": " + count });
            const fill = el("div", { className: "bin-fill" });
            fill.style.height = (100 * count / highest) + "%";
            bar.append(fill, el("span", { className: "bin-count" }, count ? formatNumber(count) : ""));
            histogram.append(bar);
        });
        const filter = $("band-filter");
        if (filter.options.length === 1) {
            for (const entry of table.bands) filter.append(el("option", { value: entry.name }, entry.name));
        }
        const bands = $("bands");
        clear(bands);
        if (data && data.bands) {
            for (const band of table.bands.map((entry) => entry.name)) {
                bands.append(el("span", { className: "badge band-" + band }, band + " " + formatNumber(data.bands[band] || 0)), " ");
            }
        }
        const missing = $("missing");
        clear(missing);
        const rows = (data && data.missing) || [];
        for (const item of rows.slice(0, 10)) {
            missing.append(el("li", null, el("span", null, item.requirement), el("span", { className: "count" }, formatNumber(item.count))));
        }
        if (!rows.length) missing.append(el("li", { className: "empty" }, "nothing missing yet"));
    }

    // ---------------------------------------------------------------- breakdown

    async function openBreakdown(candidate) {
        state.selected = candidate;
        for (const row of document.querySelectorAll("#ranking-body tr")) {
            row.classList.toggle("selected", row.dataset.candidate === candidate);
        }
        const box = $("breakdown");
        clear(box);
        box.append(el("p", { className: "empty" }, "Loading…"));
        try {
            const data = await api(jobPath(state.job) + "/results/" + encodeURIComponent(candidate));
            renderBreakdown(data.result);
        } catch (error) {
            clear(box);
            box.append(el("p", { className: "error" }, error.message));
        }
    }

    function statusText(requirement) {
        const status = requirement.status;
        let text = (status || "").replace(/_/g, " ");
        if (requirement.relation === "everyday" && requirement.via_name) text = status + ", implied by " + requirement.via_name;
        else if (status === "met" && requirement.via_name) text = "met via " + requirement.via_name;
        else if (status === "partial" && requirement.via_name) text = "partial via " + requirement.via_name;
        if (requirement.penalised && status !== "missing") text += " (counts as missing)";
        return text;
    }

    // How the evidence set a requirement's depth, in words: "level 5, 10 years → 1.00"
    function evidenceText(evidence) {
        if (!evidence) return "";
        const parts = [];
        if (evidence.basis === "unknown") parts.push("level not stated");
        else if (evidence.basis === "career") parts.push("level not stated, " + evidence.career_years + "-year career");
        else {
            if (typeof evidence.level === "number") parts.push("level " + evidence.level);
            if (typeof evidence.years === "number") {
                parts.push(evidence.years + " years" + (typeof evidence.years_stated === "number"
                    ? " (" + evidence.years_stated + " stated, capped at the career)" : ""));
            }
        }
        let text = parts.join(", ");
        if (typeof evidence.proficiency === "number") text += " → " + evidence.proficiency.toFixed(2);
        if (typeof evidence.breadth === "number") text += " × breadth " + evidence.breadth.toFixed(2);
        return text;
    }

    //  the same words as the CLI's --explain (jm_reason_words in common/engine/jm_resume.c)
    const REASON_TEXT = { negation: "negated", intent: "wants to learn it", someone_else: "someone else's",
                          no_evidence: "an ordinary word, nothing technical near it",
                          year_after: "an ordinary word: a year or term after it",
                          hyphen_joined: "an ordinary word: joined to another by a hyphen",
                          employer: "an employer's name", longer_name: "part of a longer name",
                          ordinary_word: "an ordinary word in an everyday phrase" };

    function renderBreakdown(result) {
        const box = $("breakdown");
        clear(box);
        if (!result) return;
        box.append(el("div", { className: "breakdown-head" },
            el("strong", { className: "name" }, result.name || result.candidate),
            el("span", { className: "cid" }, result.candidate),
            el("span", { className: "badge band-" + result.band }, result.band),
            el("span", { className: "big" }, formatScore(result.score)),
            el("span", { className: "meta" }, (result.required || "") + " required · job version " + result.job_version)));
        const table = el("table", { className: "breakdown-table" },
            el("thead", null, el("tr", null,
                el("th", null, "Requirement"), el("th", null, "Status"),
                el("th", null, "Candidate wrote"), el("th", null, "Evidence"),
                el("th", { className: "num" }, "Points"))));
        const body = el("tbody");
        for (const requirement of result.requirements || []) {
            const status = requirement.status || "missing";
            body.append(el("tr", { className: "status-" + status },
                el("td", null,
                    el("span", null, requirement.requirement),
                    el("span", { className: "importance imp-" + requirement.importance }, requirement.importance)),
                el("td", null, el("span", { className: "status status-" + status }, statusText(requirement))),
                el("td", { className: "written" }, requirement.written || ""),
                el("td", { className: "evidence" }, evidenceText(requirement.evidence)),
                el("td", { className: "num" }, typeof requirement.points === "number" ? requirement.points.toFixed(2) : "")));
        }
        table.append(body);
        box.append(table);
        const extras = [];
        if (result.missing_required > 0 && typeof result.optional_factor === "number") {
            extras.push(result.missing_required + " required missing: optional points count × " +
                        result.optional_factor.toFixed(3) + ", so no extras make up for a missing must-have");
        }
        const breadth = result.breadth;
        if (breadth && typeof breadth.factor === "number" && breadth.factor < 1) {
            extras.push(breadth.skills + " skills listed; the career supports about " + Math.round(breadth.supported) +
                        ": every credit × " + breadth.factor.toFixed(2));
        }
        for (const warning of result.warnings || []) extras.push("warning: " + warning);
        for (const ignored of result.ignored || []) {
            extras.push("ignored “" + (ignored.name || ignored.id) + "” in the résumé: " +
                        (REASON_TEXT[ignored.reason] || ignored.status || "not counted"));
        }
        for (const correction of result.corrections || []) {
            extras.push("read “" + correction.input + "” as " + skillName(correction.skill));
        }
        for (const unknown of result.unknown_skills || []) {
            extras.push("unknown skill “" + unknown.input + "”" +
                        (unknown.suggestion ? " (did you mean " + skillName(unknown.suggestion) + "?)" : ""));
        }
        if (extras.length) {
            const list = el("ul", { className: "extras" });
            for (const text of extras) list.append(el("li", null, text));
            box.append(list);
        }
    }

    // ---------------------------------------------------------------- a candidate

    function splitSkills(text) {
        return text.split(/[\n,;]+/).map((part) => part.trim()).filter(Boolean);
    }

    $("candidate-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        const out = $("candidate-result");
        clear(out);
        if (!state.job) return;
        const candidate = {
            id: $("cand-id").value.trim() || "web-" + Date.now().toString(36),
            skills: splitSkills($("cand-skills").value)
        };
        const name = $("cand-name").value.trim();
        if (name) candidate.name = name;
        const resume = $("cand-resume").value.trim();
        if (resume) candidate.resume = resume;
        out.append(el("p", { className: "empty" }, "Scoring…"));
        try {
            const data = await api("/api/v1/match", { method: "POST", body: { candidate, jobs: [state.job], detail: "full" } });
            const result = (data.results || [])[0];
            if (!result || result.error) throw new Error(result && result.error ? result.error.message : "no result");
            const rank = await findRank(result.candidate, result.score);
            clear(out);
            out.append(el("p", { className: "scored" },
                el("span", { className: "big" }, formatScore(result.score)),
                el("span", { className: "badge band-" + result.band }, result.band),
                el("span", null, rank ? " rank " + formatNumber(rank) + " of " + formatNumber(state.total) : " not ranked yet"),
                el("span", { className: "meta" }, " · " + (result.required || "") + " required")));
            state.highlight = result.candidate;
            if (rank) {
                state.band = ""; state.q = ""; state.minScore = "";
                $("band-filter").value = ""; $("search").value = ""; $("min-score").value = "";
                state.offset = Math.floor((rank - 1) / state.limit) * state.limit;
            }
            await Promise.all([loadRanking(), loadSummary()]);
            renderBreakdown(result);
            state.selected = result.candidate;
        } catch (error) {
            clear(out);
            out.append(el("p", { className: "error" }, error.message));
        }
    });

    /*  The candidate's position: the ranking filtered to scores at least its
        own ends with it (equal scores are ordered by id), so read the tail
        of that filtered ranking.  */
    async function findRank(candidate, score) {
        const path = jobPath(state.job) + "/ranking";
        // a little below its score: the ranking may hold more digits than the result shows
        const floor = Math.max(0, score - 0.05);
        const head = await api(path + query({ min_score: floor, limit: 1 }));
        state.total = head.total;
        const offset = Math.max(0, head.matching - 1000);
        const tail = await api(path + query({ min_score: floor, limit: 1000, offset }));
        const entry = (tail.entries || []).find((item) => item.candidate === candidate);
        return entry ? entry.rank : null;
    }

    // ---------------------------------------------------------------- job editor

    async function loadTaxonomy() {
        if (state.taxonomy) return state.taxonomy;
        const data = await api("/api/v1/taxonomy");
        state.taxonomy = data.skills || [];
        const list = $("skill-names");
        clear(list);
        for (const skill of state.taxonomy) {
            list.append(el("option", { value: skill.name, label: skill.category_name }));
        }
        return state.taxonomy;
    }

    function skillName(id) {
        const skill = (state.taxonomy || []).find((item) => item.id === id);
        return skill ? skill.name : id;
    }

    function requirementRow(requirement) {
        requirement = requirement || { importance: "required", weight: 1 };
        const chips = el("div", { className: "chips" });
        const members = requirement.any_of || (requirement.skill ? [requirement.skill] : []);
        const addChip = (text) => {
            text = text.trim();
            if (!text) return;
            const chip = el("span", { className: "chip", dataset: { skill: text } }, skillName(text));
            const remove = el("button", { type: "button", className: "chip-x", title: "remove" }, "×");
            remove.addEventListener("click", () => chip.remove());
            chip.append(remove);
            chips.append(chip);
        };
        members.forEach(addChip);
        const input = el("input", { className: "skill-input", placeholder: "add a skill" });
        input.setAttribute("list", "skill-names");
        input.addEventListener("keydown", (event) => {
            if (event.key === "Enter" || event.key === ",") {
                event.preventDefault();
                addChip(input.value);
                input.value = "";
            }
        });
        input.addEventListener("change", () => {
            // picking from the list fires change: take it as a chip
            if (state.taxonomy && state.taxonomy.some((skill) => skill.name === input.value)) {
                addChip(input.value);
                input.value = "";
            }
        });
        const importance = el("select", { className: "importance-input" },
            el("option", { value: "required" }, "required"),
            el("option", { value: "preferred" }, "preferred"),
            el("option", { value: "nice-to-have" }, "nice-to-have"));
        importance.value = requirement.importance || "required";
        const remove = el("button", { type: "button", className: "danger", title: "remove requirement" }, "Remove");
        const row = el("tr", { className: "req" },
            el("td", null, chips, input),
            el("td", null, el("input", { className: "label-input", value: requirement.label || "", maxLength: 200 })),
            el("td", null, importance),
            el("td", null, el("input", { className: "weight-input", type: "number", min: "0.1", max: "100", step: "any", value: requirement.weight || 1 })),
            el("td", null, el("input", { className: "level-input", type: "number", min: "1", max: "5", step: "1", value: requirement.min_level || "" })),
            el("td", null, el("input", { className: "years-input", type: "number", min: "0", max: "60", step: "any", value: requirement.min_years || "" })),
            el("td", null, remove));
        remove.addEventListener("click", () => row.remove());
        return row;
    }

    async function openEditor(job) {
        await loadTaxonomy();
        state.editing = job;
        $("editor-title").textContent = job ? "Edit job" : "New job";
        $("job-id").value = job ? job.id : "";
        $("job-id").readOnly = !!job;
        $("job-title").value = job ? job.title || "" : "";
        $("job-description").value = job ? job.description || "" : "";
        $("delete-job").hidden = !job;
        $("editor-error").textContent = "";
        const body = $("req-body");
        clear(body);
        for (const requirement of (job && job.requirements) || [null]) body.append(requirementRow(requirement));
        $("job-editor").showModal();
    }

    function collectJob() {
        const job = {
            id: $("job-id").value.trim(),
            title: $("job-title").value.trim(),
            requirements: []
        };
        const description = $("job-description").value.trim();
        if (description) job.description = description;
        for (const row of $("req-body").querySelectorAll("tr.req")) {
            const pending = row.querySelector(".skill-input").value.trim();
            const skills = [...row.querySelectorAll(".chip")].map((chip) => chip.dataset.skill);
            if (pending) skills.push(pending);
            if (!skills.length) continue;
            const requirement = skills.length === 1 ? { skill: skills[0] } : { any_of: skills };
            const label = row.querySelector(".label-input").value.trim();
            if (label) requirement.label = label;
            requirement.importance = row.querySelector(".importance-input").value;
            requirement.weight = parseFloat(row.querySelector(".weight-input").value) || 1;
            const level = parseInt(row.querySelector(".level-input").value, 10);
            if (level) requirement.min_level = level;
            const years = parseFloat(row.querySelector(".years-input").value);
            if (years) requirement.min_years = years;
            job.requirements.push(requirement);
        }
        return job;
    }

    $("add-req").addEventListener("click", () => $("req-body").append(requirementRow(null)));
    $("cancel-job").addEventListener("click", () => $("job-editor").close());
    $("new-job").addEventListener("click", () => openEditor(null).catch(showError));
    $("edit-job").addEventListener("click", async () => {
        if (!state.job) return;
        try {
            const data = await api(jobPath(state.job));
            await openEditor(data.job);
        } catch (error) {
            showError(error);
        }
    });

    $("job-form").addEventListener("submit", async (event) => {
        event.preventDefault();
        const job = collectJob();
        const errorBox = $("editor-error");
        errorBox.textContent = "";
        if (!job.id || !job.title || !job.requirements.length) {
            errorBox.textContent = "A job needs an id, a title and at least one requirement.";
            return;
        }
        try {
            const data = await api(jobPath(job.id), { method: "PUT", body: job });
            $("job-editor").close();
            notice("Saved " + data.job.id + " as version " + data.job.version +
                   (data.job.version > 1 ? "; its candidates are re-scored" : ""), "info");
            await loadJobs(data.job.id);
        } catch (error) {
            clear(errorBox);
            errorBox.append(el("p", null, error.message));
            const unknown = (error.detail && error.detail.unknown) || [];
            if (unknown.length) {
                const list = el("ul");
                for (const item of unknown) {
                    list.append(el("li", null, "“" + item.input + "”" + (item.suggestion ? " — did you mean " + skillName(item.suggestion) + "?" : "")));
                }
                errorBox.append(list);
            }
        }
    });

    $("delete-job").addEventListener("click", async () => {
        const id = $("job-id").value.trim();
        if (!id || !window.confirm("Delete the job " + id + " and its ranking?")) return;
        try {
            await api(jobPath(id), { method: "DELETE" });
            $("job-editor").close();
            notice("Deleted " + id, "info");
            state.job = null;
            await loadJobs();
        } catch (error) {
            $("editor-error").textContent = error.message;
        }
    });

    // ---------------------------------------------------------------- health

    async function loadHealth() {
        const badge = $("health");
        try {
            const response = await fetch("/healthz", { headers: { "Accept": "application/json" } });
            const data = await response.json();
            const checks = data.checks || {};
            const parts = [];
            if (checks.gateway) parts.push("gateway " + checks.gateway.state);
            if (checks.matchers) parts.push(checks.matchers.count + " matcher" + (checks.matchers.count === 1 ? "" : "s"));
            if (checks.redis) parts.push("Redis " + checks.redis.state);
            badge.textContent = parts.join(" · ");
            badge.className = "health " + (data.status === "ok" ? "ok" : "bad");
        } catch (error) {
            badge.textContent = "dashboard unreachable";
            badge.className = "health bad";
        }
        setTimeout(loadHealth, 15000);
    }

    // ---------------------------------------------------------------- system

    const SYSTEM_POLL_MS = 5000;
    const SYSTEM_FAILURES = 10;       // failures listed on the page

    /*  A duration in ms for people: "850 ms", "2.6 s", "3m05s", "1h02m".  */
    function formatDuration(ms) {
        if (typeof ms !== "number") return "–";
        if (ms < 1000) return ms + " ms";
        if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
        const seconds = Math.floor(ms / 1000);
        const pad = (value) => String(value).padStart(2, "0");
        if (seconds < 3600) return Math.floor(seconds / 60) + "m" + pad(seconds % 60) + "s";
        if (seconds < 86400) return Math.floor(seconds / 3600) + "h" + pad(Math.floor(seconds / 60) % 60) + "m";
        return Math.floor(seconds / 86400) + "d" + pad(Math.floor(seconds / 3600) % 24) + "h";
    }

    function fillRows(body, rows, columns, empty) {
        clear(body);
        if (!rows.length) {
            body.append(el("tr", null, el("td", { className: "empty", colSpan: columns }, empty)));
            return;
        }
        for (const row of rows) body.append(row);
    }

    function renderSystem(data) {
        const held = data.held || {};
        const counters = data.counters || {};
        $("system-summary").textContent = "gateway " + data.version + " · " +
            formatNumber(data.workers_total) + " workers · " + formatNumber(held.queued) + " waiting, " +
            formatNumber(held.in_flight) + " in flight · " + formatNumber(counters.redispatched) +
            " re-dispatched · " + formatNumber(counters.failed) + " failed since start" +
            (data.draining ? " · stopping" : "");
        const num = (value) => el("td", { className: "num" }, formatNumber(value));
        fillRows($("system-queues"), (data.services || []).map((service) =>
            el("tr", { className: service.workers ? "" : "dead", dataset: { service: service.name } },
               el("td", null, service.name), num(service.workers), num(service.slots),
               num(service.busy), num(service.queued),
               el("td", { className: "num" }, formatDuration(service.oldest_wait_ms)),
               num(service.redispatched))),
            7, "No services.");
        fillRows($("system-workers"), (data.workers || []).map((worker) =>
            el("tr", { dataset: { worker: worker.id } },
               el("td", { className: "code" }, worker.id), el("td", null, worker.service),
               el("td", null, worker.name || "–"),
               el("td", { className: "num" }, worker.slots + "/" + worker.slots_max),
               num(worker.busy),
               el("td", { className: "num" }, formatDuration(worker.last_heard_ms)),
               el("td", { className: "num" }, formatDuration(worker.expires_in_ms)))),
            7, "No workers: requests wait, then fail no_workers.");
        const failures = ((data.failures || {}).recent || []).slice(0, SYSTEM_FAILURES);
        fillRows($("system-failures"), failures.map((failure) =>
            el("tr", null,
               el("td", { title: formatDuration(failure.age_ms) + " ago" }, failure.time.replace("T", " ").replace("Z", "")),
               el("td", null, failure.service), el("td", { className: "code" }, failure.code),
               num(failure.attempts), el("td", { className: "code" }, failure.client),
               el("td", null, failure.source))),
            6, "No failed requests.");
    }

    async function loadSystem() {
        try {
            renderSystem(await api("/api/v1/system?failures=" + SYSTEM_FAILURES));
        } catch (error) {
            $("system-summary").textContent = error.status === 401 ? "needs the token"
                : "gateway not answering: " + error.message;
        }
        setTimeout(loadSystem, SYSTEM_POLL_MS);
    }

    // ---------------------------------------------------------------- start

    function showError(error) {
        notice(error && error.message ? error.message : String(error), "error");
    }

    async function start() {
        try {
            await loadJobs();
        } catch (error) {
            if (error.status !== 401) showError(error);
        }
    }

    takeTokenFromAddress();
    start();
    loadHealth();
    loadSystem();
})();
