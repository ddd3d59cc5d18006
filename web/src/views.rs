//! The view structs, one per page or fragment, and what they share.
//!
//! Why one file of this length: it is plain data only, one view struct per staff page, with no logic to split by.

use askama::Template;

/// What every staff page shows around its content.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The page title (also the `<h1>`).
    pub title: String,
    /// The signed-in user's name.
    pub user_name: String,
    /// Their login.
    pub login: String,
    /// Their role, in Chinese.
    pub role_label: String,
    /// Their unit's name.
    pub unit_name: String,
    /// This node: its code and what it serves.
    pub node: String,
    /// The navigation entries for this user.
    pub nav: Vec<NavItem>,
    /// Set while a link to a parent node is down.
    pub offline: bool,
    /// A message after an action (saved, refused).
    pub flash: Option<Flash>,
    /// The telephony's screen pops reach this user's pages (operators).
    pub screen_pop: bool,
}

impl Layout {
    /// The URL of a static asset.
    pub fn asset(&self, name: &str) -> &'static str {
        crate::assets::url(name)
    }
}

/// One navigation entry.
#[derive(Clone, Debug)]
pub struct NavItem {
    /// Where it goes.
    pub href: String,
    /// Its label.
    pub label: String,
    /// Its keyboard shortcut (`g` then this key).
    pub key: char,
    /// Whether it is the current page.
    pub current: bool,
}

/// A message shown at the top of a page.
#[derive(Clone, Debug)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: &'static str,
    /// The text.
    pub text: String,
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    /// This node (what it serves).
    pub node: String,
    /// The login typed, kept after a failure.
    pub login: String,
    /// Why the last try failed.
    pub error: Option<String>,
    /// Where to go after signing in.
    pub next: String,
}

/// A page that only says something (errors, refusals).
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    /// Around it (empty when the user is not signed in).
    pub l: Layout,
    /// Heading.
    pub heading: String,
    /// Text.
    pub text: String,
}

/// An option of a select or a datalist.
#[derive(Clone, Debug)]
pub struct Choice {
    /// The value sent.
    pub value: String,
    /// What is shown.
    pub label: String,
    /// Extra text to match when typing (pinyin initials, codes).
    pub hint: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// The values of the intake form (kept when it is shown again after a refusal).
#[derive(Clone, Debug, Default)]
pub struct IntakeValues {
    /// 来电号码.
    pub phone: String,
    /// 姓名.
    pub name: String,
    /// 地址.
    pub address: String,
    /// 标题.
    pub title: String,
    /// 诉求内容.
    pub content: String,
    /// 诉求类别 (code).
    pub subject: String,
    /// 保密.
    pub confidential: bool,
    /// 紧急.
    pub urgent: bool,
    /// The citizen's message being registered (`/staff/drafts`), and where it came from.
    pub draft: Option<(i64, String)>,
    /// The call being taken (the telephony's id), linking the order to its record and recording.
    pub call_id: String,
}

/// A just-registered order, to read out to the caller.
#[derive(Clone, Debug)]
pub struct Registered {
    /// 工单编号.
    pub number: String,
    /// 查询码.
    pub code: String,
    /// Whether it was answered at once.
    pub answered: bool,
}

/// The operator's intake page.
#[derive(Template)]
#[template(path = "intake.html")]
pub struct IntakePage {
    /// Around it.
    pub l: Layout,
    /// Subjects to pick from (typed: name, code or pinyin initials).
    pub subjects: Vec<Choice>,
    /// Request types.
    pub request_types: Vec<Choice>,
    /// Channels.
    pub channels: Vec<Choice>,
    /// The form's values.
    pub v: IntakeValues,
    /// What was wrong with the last submission.
    pub error: Option<String>,
    /// The order just registered.
    pub registered: Option<Registered>,
}

/// One order in a list.
#[derive(Clone, Debug)]
pub struct Row {
    /// 工单编号.
    pub number: String,
    /// Title.
    pub title: String,
    /// Status, in Chinese.
    pub status: String,
    /// Who holds it.
    pub unit: String,
    /// Registered (local time).
    pub created: String,
    /// Deadline (local time), or empty.
    pub due: String,
    /// Working-day countdown (剩余 2 个工作日 / 逾期 1 个工作日), or empty.
    pub countdown: String,
    /// `overdue`, `near` or empty: the mark, shown with words, not colour alone.
    pub mark: &'static str,
    /// Urgent.
    pub urgent: bool,
    /// Alerts already sent (urges, supervision), or empty.
    pub alerts: String,
    /// How often units returned it.
    pub returns: u32,
    /// Conflicts from offline work.
    pub conflicts: i64,
    /// Per-row buttons (urge, supervise).
    pub buttons: Vec<RowButton>,
}

/// A one-click action on a list row.
#[derive(Clone, Debug)]
pub struct RowButton {
    /// The action code posted.
    pub action: String,
    /// Its label.
    pub label: String,
    /// The unit it targets.
    pub target: String,
    /// The supervision level, for a supervision.
    pub level: String,
}

/// A tab of a list, with its count.
#[derive(Clone, Debug)]
pub struct Tab {
    /// Where it goes.
    pub href: String,
    /// Label.
    pub label: String,
    /// How many orders (not shown when not counted).
    pub count: Option<i64>,
    /// Whether shown now.
    pub current: bool,
}

/// A list page: the unit inbox, the dispatch queue, the supervisors' board.
#[derive(Template)]
#[template(path = "list.html")]
pub struct ListPage {
    /// Around it.
    pub l: Layout,
    /// Tabs with counts.
    pub tabs: Vec<Tab>,
    /// The orders.
    pub rows: Vec<Row>,
    /// The next page's URL, when more follow.
    pub next: Option<String>,
    /// What an empty list says.
    pub empty: String,
    /// Units for bulk dispatch (the shift leader's queue), empty otherwise.
    pub bulk_units: Vec<Choice>,
    /// Where the per-row buttons post (the list's own URL).
    pub here: String,
}

/// A labelled value.
#[derive(Clone, Debug)]
pub struct Fact {
    /// Label.
    pub label: String,
    /// Value.
    pub value: String,
}

/// One entry of an order's timeline.
#[derive(Clone, Debug)]
pub struct TimelineItem {
    /// When (local time).
    pub when: String,
    /// Who (name and login).
    pub who: String,
    /// For which unit, at which node.
    pub place: String,
    /// What was done.
    pub what: String,
    /// Details (reason, reply, units).
    pub detail: String,
    /// Why it did not count, for an action that lost to another office's.
    pub conflict: Option<String>,
}

/// A unit's part in an order.
#[derive(Clone, Debug)]
pub struct PartRow {
    /// Unit name.
    pub unit: String,
    /// 主办 / 协办.
    pub part: String,
    /// Its state.
    pub status: String,
    /// Deadline.
    pub due: String,
    /// Countdown.
    pub countdown: String,
    /// overdue / near / empty.
    pub mark: &'static str,
    /// Extensions granted, urges, supervision.
    pub notes: String,
}

/// A field of an action form.
#[derive(Clone, Debug)]
pub struct Field {
    /// Form name.
    pub name: String,
    /// Label.
    pub label: String,
    /// `text`, `textarea`, `select`, `checkbox`, `number`.
    pub kind: &'static str,
    /// Choices of a select.
    pub choices: Vec<Choice>,
    /// Required.
    pub required: bool,
    /// Initial value.
    pub value: String,
}

/// One action the user may take now, with its form.
#[derive(Clone, Debug)]
pub struct ActionForm {
    /// The action code.
    pub action: String,
    /// Its label (the button).
    pub label: String,
    /// Its fields.
    pub fields: Vec<Field>,
    /// Text templates (常用语) for its text fields.
    pub phrases: Vec<String>,
}

/// The order page.
#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    /// Around it.
    pub l: Layout,
    /// 工单编号.
    pub number: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: String,
    /// The intake, masked as the viewer's role requires.
    pub intake: Vec<Fact>,
    /// What the caller said.
    pub content: String,
    /// The state in figures (returns, extensions, deadline).
    pub figures: Vec<Fact>,
    /// The units' parts.
    pub parts: Vec<PartRow>,
    /// Every event, oldest first.
    pub timeline: Vec<TimelineItem>,
    /// How many actions lost to another office's.
    pub conflicts: usize,
    /// What this user may do now.
    pub actions: Vec<ActionForm>,
    /// The public reply, if any.
    pub reply: Option<String>,
    /// Files: the citizen's, then those named later (recordings, units' photos and documents).
    pub files: Vec<FileRow>,
}

/// A file of an order as the order page shows it.
#[derive(Clone, Debug)]
pub struct FileRow {
    /// Where it opens.
    pub href: String,
    /// Its name.
    pub name: String,
    /// `recording`, `photo` or `document`.
    pub kind: String,
    /// 通话录音 / 照片 / 文件.
    pub kind_label: String,
    /// Its size in words.
    pub size: String,
    /// Who added it when, in words (empty for the citizen's).
    pub added: String,
    /// When and why it was removed, if it was.
    pub removed: Option<String>,
}

/// A sync link's state.
#[derive(Clone, Debug)]
pub struct LinkRow {
    /// Which peer.
    pub peer: String,
    /// 上级 / 下级.
    pub direction: String,
    /// 已连接 / 未连接.
    pub state: String,
    /// Whether connected.
    pub up: bool,
    /// Last sync.
    pub last: String,
    /// Changes waiting to go.
    pub waiting: String,
}

/// The node status page.
#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusPage {
    /// Around it.
    pub l: Layout,
    /// Links.
    pub links: Vec<LinkRow>,
    /// Facts (orders held, calendar years).
    pub facts: Vec<Fact>,
    /// Calendar years missing (a warning).
    pub missing_years: String,
}

/// The change-password page.
#[derive(Template)]
#[template(path = "password.html")]
pub struct PasswordPage {
    /// Around it.
    pub l: Layout,
    /// Why the last try failed.
    pub error: Option<String>,
}

/// An earlier order of the caller (intake).
#[derive(Clone, Debug)]
pub struct CallerOrder {
    /// 工单编号.
    pub number: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: String,
    /// Registered.
    pub created: String,
    /// Likely a duplicate of what is being registered.
    pub duplicate: bool,
}

/// The caller panel of the intake page (htmx fragment).
#[derive(Template)]
#[template(path = "caller.html")]
pub struct CallerPanel {
    /// The phone as normalised.
    pub phone: String,
    /// Their earlier orders, newest first.
    pub orders: Vec<CallerOrder>,
    /// A message (bad number).
    pub note: Option<String>,
    /// The same subject reported lately by other callers.
    pub same_subject: Vec<CallerOrder>,
}

/// A knowledge-base hit.
#[derive(Clone, Debug)]
pub struct KbHit {
    /// Article id.
    pub id: String,
    /// Question.
    pub title: String,
    /// Snippet with `<mark>` highlights (escaped text otherwise).
    pub snippet_html: String,
    /// The answer to give.
    pub answer: String,
}

/// The knowledge-base panel (htmx fragment).
#[derive(Template)]
#[template(path = "kb_panel.html")]
pub struct KbPanel {
    /// Hits, best first.
    pub hits: Vec<KbHit>,
    /// Whether anything was asked.
    pub asked: bool,
}

impl ListPage {
    /// Whether any row has buttons (the table then has an actions column).
    pub fn any_buttons(&self) -> bool {
        self.rows.iter().any(|r| !r.buttons.is_empty())
    }
}

/// An article in the editor's list.
#[derive(Clone, Debug)]
pub struct ArticleRow {
    /// Id.
    pub id: String,
    /// The newest version's question.
    pub question: String,
    /// Owning unit's name.
    pub unit: String,
    /// Status, in Chinese.
    pub status: String,
    /// Versions.
    pub versions: usize,
    /// Last change.
    pub updated: String,
}

/// The knowledge-base editor's list.
#[derive(Template)]
#[template(path = "kb_list.html")]
pub struct KbListPage {
    /// Around it.
    pub l: Layout,
    /// Status tabs with counts.
    pub tabs: Vec<Tab>,
    /// The articles of the tab.
    pub rows: Vec<ArticleRow>,
    /// The new-article form's units (the user's scope).
    pub units: Vec<Choice>,
    /// Whether the user may write articles at all.
    pub may_write: bool,
}

/// A version in an article's history.
#[derive(Clone, Debug)]
pub struct VersionRow {
    /// Its number.
    pub number: u32,
    /// Who wrote it.
    pub author: String,
    /// When.
    pub at: String,
    /// Whether it is the live one.
    pub live: bool,
}

/// One piece of a diff: `same`, `removed` or `added`, and its text.
#[derive(Clone, Debug)]
pub struct DiffPiece {
    /// `same`, `removed`, `added`.
    pub kind: &'static str,
    /// The text.
    pub text: String,
}

/// A field's diff between two versions.
#[derive(Clone, Debug)]
pub struct FieldDiff {
    /// The field.
    pub label: String,
    /// Its pieces.
    pub pieces: Vec<DiffPiece>,
}

/// A review step the user may take on an article.
#[derive(Clone, Debug)]
pub struct KbAction {
    /// Action code (`submit`, `publish`, `reject`, `withdraw`).
    pub code: String,
    /// Button label.
    pub label: String,
    /// Whether it needs a reason.
    pub reason: bool,
}

/// The values of an article form.
#[derive(Clone, Debug, Default)]
pub struct ArticleValues {
    /// Question.
    pub question: String,
    /// Other ways of asking, one per line.
    pub alternatives: String,
    /// Answer.
    pub answer: String,
    /// Keywords, separated by spaces or commas.
    pub keywords: String,
    /// Category.
    pub category: String,
    /// Region (unit code), empty for city-wide.
    pub region: String,
    /// Last valid day (ISO), empty for none.
    pub valid_until: String,
}

/// One article in the editor: newest version, history, diff, review steps, revision form.
#[derive(Template)]
#[template(path = "kb_article.html")]
pub struct KbArticlePage {
    /// Around it.
    pub l: Layout,
    /// Id.
    pub id: String,
    /// Status, in Chinese.
    pub status: String,
    /// The newest version's fields.
    pub facts: Vec<Fact>,
    /// Versions, newest first.
    pub versions: Vec<VersionRow>,
    /// The versions compared (older, newer), if there are two.
    pub compared: Option<(u32, u32)>,
    /// Their diff, field by field (changed fields only).
    pub diff: Vec<FieldDiff>,
    /// The review steps this user may take now.
    pub actions: Vec<KbAction>,
    /// The revision form, if the user may revise.
    pub revise: Option<ArticleValues>,
    /// The last reason given (rejection, withdrawal).
    pub last_reason: Option<String>,
}

/// An account in the administrator's list.
#[derive(Clone, Debug)]
pub struct AccountRow {
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Role, in Chinese.
    pub role: String,
    /// Unit's name.
    pub unit: String,
    /// 正常 / 已停用 / 未设密码.
    pub state: String,
    /// Whether disabled.
    pub disabled: bool,
}

/// The user administrator's accounts page.
#[derive(Template)]
#[template(path = "accounts.html")]
pub struct AccountsPage {
    /// Around it.
    pub l: Layout,
    /// The accounts this administrator manages.
    pub rows: Vec<AccountRow>,
    /// Roles for a new account.
    pub roles: Vec<Choice>,
    /// Units for a new account.
    pub units: Vec<Choice>,
    /// Whether new accounts can be created here (at the hub).
    pub may_create: bool,
}

/// One of a unit's text templates.
#[derive(Clone, Debug)]
pub struct PhraseRow {
    /// Id.
    pub id: String,
    /// The action it is for, in Chinese.
    pub action: String,
    /// The text.
    pub text: String,
}

/// A unit's text templates (常用语).
#[derive(Template)]
#[template(path = "phrases.html")]
pub struct PhrasesPage {
    /// Around it.
    pub l: Layout,
    /// The unit's templates.
    pub rows: Vec<PhraseRow>,
    /// The actions a template can be for.
    pub actions: Vec<Choice>,
}

/// One unit's load on the board.
#[derive(Clone, Debug)]
pub struct UnitLoad {
    /// Unit code (for links).
    pub code: String,
    /// Unit name.
    pub name: String,
    /// Counts per stage, in the page's column order.
    pub counts: Vec<i64>,
    /// Orders past their deadline.
    pub overdue: i64,
}

/// The board's view by unit.
#[derive(Template)]
#[template(path = "board_units.html")]
pub struct BoardUnitsPage {
    /// Around it.
    pub l: Layout,
    /// The board's tabs.
    pub tabs: Vec<Tab>,
    /// Stage column headings, with their tab keys.
    pub stages: Vec<Choice>,
    /// The units, most overdue first.
    pub units: Vec<UnitLoad>,
}

/// One notification on the outbox page.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    /// Row id.
    pub id: i64,
    /// 短信 / 邮件.
    pub medium: String,
    /// Recipient (citizens' numbers masked).
    pub recipient: String,
    /// The order's number.
    pub ticket: String,
    /// Subject or text.
    pub text: String,
    /// 待发送 / 已送达 / 已停止重试.
    pub state: String,
    /// `pending`, `sent` or `dead`.
    pub state_code: String,
    /// Queued at.
    pub created: String,
    /// Attempts made.
    pub attempts: u32,
    /// The next try, or when delivered.
    pub when: String,
    /// The last error.
    pub error: String,
}

/// The outbox page: what this node sent and could not send.
#[derive(Template)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    /// Around it.
    pub l: Layout,
    /// Pending, sent and dead totals.
    pub counts: (i64, i64, i64),
    /// The state shown (`""`: all).
    pub shown: String,
    /// The rows, newest first.
    pub rows: Vec<OutboxRow>,
    /// Whether the viewer may send a dead one again.
    pub may_retry: bool,
    /// The next page's `before`, when there is one.
    pub next: Option<i64>,
}

/// One citizen's message on the drafts page.
#[derive(Clone, Debug)]
pub struct DraftRow {
    /// Row id.
    pub id: i64,
    /// 短信 / 邮件 / 微信.
    pub channel: String,
    /// The sender.
    pub sender: String,
    /// An e-mail's subject.
    pub subject: String,
    /// The text.
    pub content: String,
    /// Received at.
    pub received: String,
    /// `new`, `survey`, `registered`, `answered` or `dismissed`.
    pub state_code: String,
    /// 待处理 / 回访回复 / 已登记 / 已答复 / 已归档.
    pub state: String,
    /// The order it answered or became.
    pub ticket: String,
    /// Who handled it, when, and what they answered.
    pub handled: String,
}

/// The drafts page: citizens' texts, e-mails and WeChat messages for the operators.
#[derive(Template)]
#[template(path = "drafts.html")]
pub struct DraftsPage {
    /// Around it.
    pub l: Layout,
    /// Drafts waiting.
    pub waiting: i64,
    /// The state shown.
    pub shown: String,
    /// The rows, newest first.
    pub rows: Vec<DraftRow>,
    /// Whether the viewer may handle drafts.
    pub may_handle: bool,
    /// The next page's `before`, when there is one.
    pub next: Option<i64>,
}

/// One order on the callback list.
#[derive(Clone, Debug)]
pub struct CallbackRow {
    /// The order's number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// Why it needs a call.
    pub reason: String,
    /// `survey`, `direct` or `verify`.
    pub kind: String,
    /// Waiting since.
    pub since: String,
}

/// The operators' callback list.
#[derive(Template)]
#[template(path = "callbacks.html")]
pub struct CallbacksPage {
    /// Around it.
    pub l: Layout,
    /// Orders on the list.
    pub count: i64,
    /// The rows, the longest waiting first.
    pub rows: Vec<CallbackRow>,
    /// The next page's cursor, when there is one.
    pub next: Option<String>,
}

/// One message on the messages page.
#[derive(Clone, Debug)]
pub struct MessageRow {
    /// The event.
    pub event_id: String,
    /// The order's number.
    pub number: String,
    /// Its title.
    pub title: String,
    /// What happened.
    pub what: String,
    /// When.
    pub when: String,
    /// Calls for action now.
    pub urgent: bool,
    /// Read by this user.
    pub read: bool,
}

/// A user's messages (站内消息).
#[derive(Template)]
#[template(path = "messages.html")]
pub struct MessagesPage {
    /// Around it.
    pub l: Layout,
    /// Unread in the last 30 days.
    pub unread: i64,
    /// Newest first.
    pub rows: Vec<MessageRow>,
    /// The next page's cursor.
    pub next: Option<String>,
}

/// One unit's row on the assessment page.
#[derive(Clone, Debug)]
pub struct StatsRow {
    /// Rank (empty without a score).
    pub rank: String,
    /// Unit code.
    pub unit: String,
    /// Unit name.
    pub name: String,
    /// Assignments received.
    pub assigned: u32,
    /// The rates, as shown (签收率 … 延期率).
    pub rates: Vec<String>,
    /// Urged.
    pub urged: u32,
    /// Supervised.
    pub supervised: u32,
    /// The composite score, as shown.
    pub score: String,
    /// The drill-down's address.
    pub orders_href: String,
}

/// The unit assessment page (考核).
#[derive(Template)]
#[template(path = "stats_units.html")]
pub struct StatsUnitsPage {
    /// Around it.
    pub l: Layout,
    /// The statistics pages (address, name, whether this one).
    pub tabs: Vec<(String, String, bool)>,
    /// The period kinds, the chosen one selected.
    pub kinds: Vec<Choice>,
    /// The anchor date (`YYYY-MM-DD`).
    pub date: String,
    /// A custom period's end date.
    pub end: String,
    /// The period in words.
    pub label: String,
    /// The rate columns' headings.
    pub rate_heads: Vec<&'static str>,
    /// Each unit with its subtree's work.
    pub rollup: bool,
    /// The units, best first.
    pub rows: Vec<StatsRow>,
    /// The chart's ECharts option (JSON, `<` escaped).
    pub chart: String,
    /// The Excel export's address.
    pub export_href: String,
}

/// The orders behind a unit's figures.
#[derive(Template)]
#[template(path = "stats_orders.html")]
pub struct StatsOrdersPage {
    /// Around it.
    pub l: Layout,
    /// What is listed, in words.
    pub heading: String,
    /// The orders: number, title, status, registered.
    pub rows: Vec<(String, String, String, String)>,
    /// The next page's address.
    pub next: Option<String>,
    /// Back to the assessment.
    pub back: String,
}

/// A cell of a statistics table: its text, where it leads, whether it is a number (right-aligned).
#[derive(Clone, Debug, Default)]
pub struct StatCell {
    /// What is shown.
    pub text: String,
    /// The orders behind it, or a closer look.
    pub href: Option<String>,
    /// A figure.
    pub num: bool,
}

/// A table of a statistics page.
#[derive(Clone, Debug, Default)]
pub struct StatTable {
    /// Its element id.
    pub id: String,
    /// Its heading.
    pub caption: String,
    /// Column headings.
    pub heads: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<StatCell>>,
    /// Shown when there are no rows.
    pub empty: String,
}

/// A chart of a statistics page.
#[derive(Clone, Debug, Default)]
pub struct StatChart {
    /// Its element id.
    pub id: String,
    /// What it shows, for screen readers.
    pub label: String,
    /// The ECharts option (JSON, `<` escaped).
    pub option: String,
}

/// A select of a statistics page's form.
#[derive(Clone, Debug, Default)]
pub struct StatSelect {
    /// The parameter.
    pub name: String,
    /// Its label.
    pub label: String,
    /// The options, the chosen one selected.
    pub choices: Vec<Choice>,
}

/// A statistics page: the period form, charts, tables beside them, an export.
#[derive(Template)]
#[template(path = "stats_page.html")]
pub struct StatsPage {
    /// Around it.
    pub l: Layout,
    /// The statistics pages (address, name, whether this one).
    pub tabs: Vec<(String, String, bool)>,
    /// The form's address.
    pub action: String,
    /// The period kinds, the chosen one selected (none: the page has no period).
    pub kinds: Vec<Choice>,
    /// The anchor date (`YYYY-MM-DD`).
    pub date: String,
    /// A custom period's end date.
    pub end: String,
    /// The page's own choices.
    pub selects: Vec<StatSelect>,
    /// Parameters kept as they are.
    pub hidden: Vec<(String, String)>,
    /// What is shown, in words.
    pub label: String,
    /// The charts.
    pub charts: Vec<StatChart>,
    /// The tables.
    pub tables: Vec<StatTable>,
    /// How to read it.
    pub hint: String,
    /// The Excel export's address.
    pub export_href: Option<String>,
}

/// One call on the call list.
#[derive(Clone, Debug)]
pub struct CallRow {
    /// When it started (local time).
    pub started: String,
    /// 呼入 or 呼出.
    pub direction: &'static str,
    /// The calling number.
    pub caller: String,
    /// The operator, by name.
    pub operator: String,
    /// The queue.
    pub queue: String,
    /// Answered.
    pub answered: bool,
    /// Talk time, `m:ss`.
    pub talk: String,
    /// Why it ended, in words.
    pub cause: String,
    /// The orders registered from it.
    pub orders: Vec<String>,
    /// The telephony's id of the call.
    pub call_id: String,
    /// Whether its recording is here to play.
    pub recorded: bool,
    /// Its quality score, when scored (`85.0%`).
    pub score: Option<String>,
}

/// A call in progress, on the call list.
#[derive(Clone, Debug)]
pub struct LiveRow {
    /// The call's id.
    pub call_id: String,
    /// The calling number.
    pub caller: String,
    /// The operator, by name.
    pub operator: String,
    /// The queue.
    pub queue: String,
    /// Answered at.
    pub since: String,
}

/// The call list (通话记录).
#[derive(Template)]
#[template(path = "calls.html")]
pub struct CallsPage {
    /// Around it.
    pub l: Layout,
    /// The operators to choose from (none for an operator: their own calls).
    pub operators: Vec<Choice>,
    /// The caller's number asked for.
    pub caller: String,
    /// First day (`YYYY-MM-DD`).
    pub from: String,
    /// Last day.
    pub to: String,
    /// The calls.
    pub rows: Vec<CallRow>,
    /// The next page's address.
    pub next: Option<String>,
    /// Calls in progress.
    pub live: Vec<LiveRow>,
    /// Live monitoring is offered (a supervisor, the telephony connected).
    pub monitoring: bool,
    /// Recordings may be scored here (supervisors).
    pub scoring: bool,
}

/// One item of the scoring form, with the points given.
#[derive(Clone, Debug)]
pub struct ScoreItem {
    /// Its code.
    pub code: String,
    /// What is judged.
    pub name: String,
    /// The most points.
    pub max: u32,
    /// The points given (the form's value).
    pub given: String,
}

/// A scored or sampled call as the quality pages list it.
#[derive(Clone, Debug)]
pub struct QualityRow {
    /// The call's id.
    pub call_id: String,
    /// When it started.
    pub started: String,
    /// The operator, by name.
    pub operator: String,
    /// The caller.
    pub caller: String,
    /// Talk time.
    pub talk: String,
    /// Orders registered from it.
    pub orders: Vec<String>,
    /// Its recording is here to play.
    pub recorded: bool,
    /// The score (`85.0%`), once scored.
    pub score: Option<String>,
    /// The scorer's comment.
    pub comment: String,
    /// Who scored it, when.
    pub scored_by: String,
}

/// 质检: the day's sample (supervisors) or one's own scores (operators).
#[derive(Template)]
#[template(path = "quality.html")]
pub struct QualityPage {
    /// Around it.
    pub l: Layout,
    /// A supervisor's view (the sample) rather than an operator's (their scores).
    pub supervising: bool,
    /// The day (`YYYY-MM-DD`).
    pub date: String,
    /// What was drawn, in words.
    pub summary: String,
    /// The calls.
    pub rows: Vec<QualityRow>,
}

/// Scoring one call.
#[derive(Template)]
#[template(path = "quality_score.html")]
pub struct ScorePage {
    /// Around it.
    pub l: Layout,
    /// The call.
    pub call: QualityRow,
    /// The form's items with the points given.
    pub items: Vec<ScoreItem>,
    /// The comment given.
    pub comment: String,
    /// The most points in all.
    pub max: u32,
    /// The call's day (`YYYY-MM-DD`), to return to its sample.
    pub date: String,
}

/// One operator's day (监督管理).
#[derive(Template)]
#[template(path = "operator_day.html")]
pub struct OperatorDayPage {
    /// Around it.
    pub l: Layout,
    /// The operator's login.
    pub login: String,
    /// The day.
    pub date: String,
    /// The figures: sign-in, sign-out, time per state, calls, orders, scores.
    pub facts: Vec<Fact>,
    /// The day's states as bars: (start minute, minutes, state code, label with times).
    pub spans: Vec<(String, String, String, String)>,
    /// The states' legend: (code, label).
    pub legend: Vec<(String, String)>,
    /// The day's calls.
    pub calls: Vec<CallRow>,
}
