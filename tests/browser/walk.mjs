// A walk through nhacviec's pages in Debian's Chromium, driven by Playwright: sign in from
// the link of a delivered email, the desk, acknowledge, ask for a later deadline; sign in
// as the supervising office, approve it, see the task re-planned and the department told;
// upload the seed PDF, correct one finding, apply it, and see its dated tasks on the board.
// Every page is checked by axe-core (no serious or critical violation) and saved as a
// screenshot at phone and desktop width.
//
//   node walk.mjs    (tests/pages.rs runs it, with the settings below in the environment)
//
// NHACVIEC_BASE, NHACVIEC_SMTP_OUT (the SMTP server's JSON lines), NHACVIEC_SEED_PDF,
// NHACVIEC_SCREENSHOTS (a folder), NHACVIEC_HEAD, NHACVIEC_OFFICE (email addresses),
// NHACVIEC_TASK (the id of a task the head's department leads), NHACVIEC_EXTEND_TO
// (YYYY-MM-DD), CHROMIUM (default /usr/bin/chromium).

import { readFileSync, mkdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const base = env("NHACVIEC_BASE");
const smtpOut = env("NHACVIEC_SMTP_OUT");
const seedPdf = env("NHACVIEC_SEED_PDF");
const shots = env("NHACVIEC_SCREENSHOTS");
const head = env("NHACVIEC_HEAD");
const office = env("NHACVIEC_OFFICE");
const taskId = env("NHACVIEC_TASK");
const extendTo = env("NHACVIEC_EXTEND_TO");
const executable = process.env.CHROMIUM || "/usr/bin/chromium";
mkdirSync(shots, { recursive: true });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function check(condition, what) {
  if (!condition) throw new Error(`not so: ${what}`);
}

/** The emails delivered so far, as the SMTP server parsed them. */
function mails() {
  if (!existsSync(smtpOut)) return [];
  return readFileSync(smtpOut, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** Waits for an email to `to` whose subject has `subject`; returns it. */
async function mailTo(to, subject, since = 0) {
  for (let i = 0; i < 300; i++) {
    const found = mails().slice(since).reverse().find((m) => m.rcpt_tos.includes(to) && m.subject.includes(subject));
    if (found) return found;
    await sleep(100);
  }
  throw new Error(`no email "${subject}" to ${to}`);
}

function linkIn(mail, path) {
  const at = mail.body.indexOf(base + path);
  check(at >= 0, `a link ${path} in "${mail.subject}"`);
  return mail.body.slice(at).split(/\s/)[0];
}

const checked = [];

/** axe-core on the page as it is: no serious or critical violation. */
async function accessible(page, name) {
  // Evaluated by the browser's debugger, which the page's policy does not govern: the
  // page itself runs no inline script.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  checked.push({ page: name, violations: result.violations.map((v) => `${v.impact} ${v.id}`) });
  if (bad.length) {
    const detail = bad.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`).join("\n");
    throw new Error(`${name} fails the accessibility check:\n${detail}`);
  }
}

/** Screenshots at phone and desktop width, and the accessibility check. */
async function record(page, name) {
  for (const [width, height, kind] of [[390, 844, "phone"], [1280, 900, "desktop"]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: `${shots}/${name}-${kind}.png`, fullPage: true });
  }
  await accessible(page, name);
}

async function signIn(context, email, name) {
  const page = await context.newPage();
  await page.goto(`${base}/desk`);
  check(page.url().endsWith("/sign-in"), `signed out, ${name} is sent to sign in (at ${page.url()})`);
  await record(page, `sign-in-${name}`);
  const before = mails().length;
  await page.getByLabel("Thư điện tử").fill(email);
  await page.getByRole("button", { name: "Gửi liên kết đăng nhập" }).click();
  await page.waitForLoadState();
  check((await page.textContent("main")).includes("kiểm tra hộp thư"), "the page says a link was sent");
  const mail = await mailTo(email, "Liên kết đăng nhập", before);
  await page.goto(linkIn(mail, "/sign-in/"));
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForLoadState();
  return page;
}

const browser = await chromium.launch({ executablePath: executable, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
try {
  // The department head.
  const headContext = await browser.newContext({ locale: "vi-VN" });
  const desk = await signIn(headContext, head, "head");
  check(new URL(desk.url()).pathname === "/desk", `the head lands on the desk (at ${desk.url()})`);
  await record(desk, "desk");
  const card = desk.locator("li.card", { has: desk.locator(`a[href="/tasks/${taskId}"]`) });
  await card.getByRole("button", { name: "Đã nhận" }).click();
  await desk.waitForURL(`**/tasks/${taskId}`);
  check((await desk.textContent("main")).includes("Đã nhận"), "the history shows the acknowledgement");
  await desk.getByLabel("Đề nghị gia hạn đến ngày").fill(extendTo);
  await desk.getByLabel("Lý do").fill("Chờ ý kiến thẩm định của Bộ Nội vụ");
  await desk.getByRole("button", { name: "Gửi đề nghị" }).click();
  await desk.waitForURL(`**/tasks/${taskId}`);
  check((await desk.textContent("main")).includes("Chờ quyết định"), "the request waits");
  await record(desk, "task");

  // The supervising office.
  const officeContext = await browser.newContext({ locale: "vi-VN" });
  const board = await signIn(officeContext, office, "office");
  check(new URL(board.url()).pathname === "/board", `the office lands on the board (at ${board.url()})`);
  await record(board, "board");
  await board.goto(`${base}/extensions`);
  await record(board, "extensions");
  const before = mails().length;
  const request = board.locator("li.card", { has: board.locator(`a[href="/tasks/${taskId}"]`) });
  await request.getByRole("button", { name: "Đồng ý gia hạn" }).click();
  await board.waitForURL("**/extensions");
  await board.goto(`${base}/tasks/${taskId}`);
  const taskText = await board.textContent("main");
  const [y, m, d] = extendTo.split("-");
  check(taskText.includes(`${d}/${m}/${y}`), `the task's deadline is now ${d}/${m}/${y}`);
  check(taskText.includes("Đồng ý gia hạn"), "the history shows the approval");
  await mailTo(head, "Đồng ý gia hạn", before);

  // Import review: the seed as a PDF.
  await board.goto(`${base}/imports`);
  await record(board, "imports");
  await board.getByLabel("Tệp văn bản").setInputFiles(seedPdf);
  await board.getByRole("button", { name: "Đọc văn bản" }).click();
  await board.waitForURL("**/imports/drafts/*");
  await record(board, "review");
  // Correct one finding: the first (the page puts first what cannot be applied as it is),
  // its lead chosen from the list.
  const firstLead = board.locator("fieldset.finding select[id$='_lead']").first();
  const leadId = await firstLead.getAttribute("id");
  const options = await firstLead.locator("option").evaluateAll((os) => os.map((o) => o.value).filter((v) => v));
  const chosen = options.includes("snv") ? "snv" : options[options.length - 1];
  await firstLead.selectOption(chosen);
  const summary = await board.locator(`#${leadId.replace("_lead", "_summary")}`).inputValue();
  await board.getByRole("button", { name: "Áp dụng" }).click();
  await board.waitForLoadState();
  if (!new URL(board.url()).pathname.startsWith("/directives/")) {
    const problems = await board.locator(".problem").allTextContents();
    throw new Error(`the draft was not applied (at ${board.url()}):\n${problems.join("\n")}`);
  }
  const directiveText = await board.textContent("main");
  check(directiveText.includes(summary.slice(0, 30)), "the corrected task is in the directive");
  await record(board, "directive");
  const directiveId = new URL(board.url()).pathname.split("/").pop();
  // The board, filtered to this directive, counts its dated tasks.
  await board.goto(`${base}/board?directive=${directiveId}`);
  const dated = await board.locator("a[href*='status=all']").last().textContent();
  await board.goto(`${base}/board/list?directive=${directiveId}&status=all`);
  // The fifth column is the deadline: a date, or "Không có".
  const deadlines = await board.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.children[4]?.textContent ?? ""));
  const withDeadline = deadlines.filter((cell) => /\d\d\/\d\d\/\d{4}/.test(cell));
  console.log(JSON.stringify({ directive: Number(directiveId), tasks: Number(dated.replace(/\./g, "")), dated: withDeadline.length, corrected: { lead: chosen, summary } }));
  await record(board, "list");
  console.log(JSON.stringify({ accessibility: checked }));
} finally {
  await browser.close();
}
