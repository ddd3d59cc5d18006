//! The citizens' website: view structs for each page. Every page works without JavaScript; the
//! 大字版 (large print) switch is a form that sets a cookie.

use askama::Template;

/// What every citizens' page shows around its content.
#[derive(Clone, Debug, Default)]
pub struct PortalLayout {
    /// The page title (also the `<h1>`).
    pub title: String,
    /// The nav entry this page belongs to (`home`, `submit`, `lookup`, `results`, `figures`,
    /// `commitments`).
    pub current: &'static str,
    /// Large print (大字版) is on.
    pub large: bool,
    /// This page's path, to come back to after switching the print size.
    pub here: String,
}

impl PortalLayout {
    /// The URL of a static asset.
    pub fn asset(&self, name: &str) -> &'static str {
        crate::assets::url(name)
    }

    /// The navigation: (href, label, whether it is the current page's).
    pub fn nav(&self) -> Vec<(&'static str, &'static str, bool)> {
        [
            ("/", "首页", "home"),
            ("/submit", "我要反映", "submit"),
            ("/lookup", "办理查询", "lookup"),
            ("/results", "办理公示", "results"),
            ("/figures", "数据公开", "figures"),
            ("/commitments", "服务承诺", "commitments"),
        ]
        .into_iter()
        .map(|(href, label, key)| (href, label, key == self.current))
        .collect()
    }
}

/// An option of a `<select>`.
#[derive(Clone, Debug)]
pub struct Opt {
    /// The value sent.
    pub value: String,
    /// What is shown.
    pub label: String,
    /// Selected.
    pub selected: bool,
}

/// A group of options (`<optgroup>`).
#[derive(Clone, Debug)]
pub struct OptGroup {
    /// The group's label.
    pub label: String,
    /// Its options.
    pub options: Vec<Opt>,
}

/// The home page.
#[derive(Template)]
#[template(path = "portal/home.html")]
pub struct PortalHome {
    /// Around it.
    pub p: PortalLayout,
}

/// The values of the request form (kept when it is shown again after a refusal).
#[derive(Clone, Debug, Default)]
pub struct SubmitValues {
    /// Place.
    pub address: String,
    /// Description.
    pub content: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
    /// Confidential.
    pub confidential: bool,
}

/// The request form.
#[derive(Template)]
#[template(path = "portal/submit.html")]
pub struct PortalSubmit {
    /// Around it.
    pub p: PortalLayout,
    /// Request types.
    pub types: Vec<Opt>,
    /// Subjects by their first level.
    pub subjects: Vec<OptGroup>,
    /// What was typed.
    pub v: SubmitValues,
    /// Why the last try was refused.
    pub error: Option<String>,
    /// The form's one-time id.
    pub form_id: String,
    /// Largest photo, in MB.
    pub max_photo_mb: usize,
    /// Photos allowed.
    pub max_photos: usize,
}

/// The answer after filing.
#[derive(Template)]
#[template(path = "portal/submitted.html")]
pub struct PortalSubmitted {
    /// Around it.
    pub p: PortalLayout,
    /// 工单编号.
    pub number: String,
    /// 查询码.
    pub code: String,
    /// Request type.
    pub request_type: String,
    /// Working days.
    pub limit_days: u32,
    /// Expected reply date.
    pub expected_by: String,
}

/// A step of an order, formatted.
#[derive(Clone, Debug)]
pub struct StepRow {
    /// When.
    pub at: String,
    /// What.
    pub label: String,
}

/// What a citizen sees of an order, formatted.
#[derive(Clone, Debug, Default)]
pub struct OrderCard {
    /// 工单编号.
    pub number: String,
    /// 状态.
    pub status: String,
    /// Whether it is finished (for the status mark).
    pub done: bool,
    /// 诉求类型.
    pub request_type: String,
    /// 标题.
    pub title: String,
    /// 反映人 (masked).
    pub caller: String,
    /// 联系电话 (masked).
    pub phone: String,
    /// 承办单位.
    pub unit: String,
    /// 受理时间.
    pub created: String,
    /// 办理时限.
    pub due: String,
    /// 办结时间.
    pub closed: String,
    /// 答复内容.
    pub reply: String,
    /// Steps.
    pub steps: Vec<StepRow>,
    /// May be rated now.
    pub may_rate: bool,
    /// The rating given.
    pub rating: String,
}

/// The lookup page: the form, and the order when found.
#[derive(Template)]
#[template(path = "portal/lookup.html")]
pub struct PortalLookup {
    /// Around it.
    pub p: PortalLayout,
    /// The number typed.
    pub number: String,
    /// The code typed (kept only to rate the order found, never in a URL).
    pub code: String,
    /// Why the lookup failed.
    pub error: Option<String>,
    /// A message after rating.
    pub notice: Option<String>,
    /// The order found.
    pub order: Option<OrderCard>,
}

/// One row of the published results.
#[derive(Clone, Debug)]
pub struct ResultRow {
    /// Number.
    pub number: String,
    /// Type.
    pub request_type: String,
    /// Subject path.
    pub subject: String,
    /// Title.
    pub title: String,
    /// Unit.
    pub unit: String,
    /// Accepted.
    pub created: String,
    /// Closed.
    pub closed: String,
    /// Reply.
    pub reply: String,
}

/// The list of published results.
#[derive(Template)]
#[template(path = "portal/results.html")]
pub struct PortalResults {
    /// Around it.
    pub p: PortalLayout,
    /// The search words.
    pub q: String,
    /// The rows.
    pub rows: Vec<ResultRow>,
    /// The next page's link.
    pub next: Option<String>,
    /// The first page's link, on a later page.
    pub first: Option<String>,
}

/// One published result.
#[derive(Template)]
#[template(path = "portal/result.html")]
pub struct PortalResult {
    /// Around it.
    pub p: PortalLayout,
    /// The result.
    pub r: ResultRow,
}

/// A row of a figures table, with bar widths in twentieths (0–20: CSS classes `w0`…`w20`, as
/// the content security policy allows no inline styles).
#[derive(Clone, Debug)]
pub struct FigureRow {
    /// Month, type or unit.
    pub label: String,
    /// Received (or, for units, orders as lead).
    pub received: u32,
    /// Bar width of `received`, 0–20.
    pub received_bar: u32,
    /// Closed (or replied).
    pub closed: u32,
    /// On-time rate, text.
    pub on_time: String,
    /// Its bar width.
    pub on_time_bar: u32,
    /// Satisfaction rate, text.
    pub satisfaction: String,
    /// Its bar width.
    pub satisfaction_bar: u32,
}

/// One table of the figures page.
#[derive(Clone, Debug)]
pub struct FigureTable {
    /// Its heading.
    pub title: String,
    /// The column heads: what a row is, received, closed.
    pub heads: [&'static str; 3],
    /// Its rows.
    pub rows: Vec<FigureRow>,
}

/// The monthly figures.
#[derive(Template)]
#[template(path = "portal/figures.html")]
pub struct PortalFigures {
    /// Around it.
    pub p: PortalLayout,
    /// The period, in words.
    pub period: String,
    /// By month (oldest first), by request type, by unit.
    pub tables: Vec<FigureTable>,
    /// How it is counted.
    pub note: String,
    /// When it was computed.
    pub computed: String,
}

/// A time limit row.
#[derive(Clone, Debug)]
pub struct LimitRow {
    /// Request type.
    pub request_type: String,
    /// Working days.
    pub days: u32,
    /// For urgent matters.
    pub urgent: String,
}

/// One unit's commitment.
#[derive(Clone, Debug)]
pub struct CommitmentRow {
    /// Name.
    pub name: String,
    /// What it handles.
    pub duties: String,
    /// Contact.
    pub contact: String,
    /// Subjects.
    pub subjects: String,
}

/// The service commitments.
#[derive(Template)]
#[template(path = "portal/commitments.html")]
pub struct PortalCommitments {
    /// Around it.
    pub p: PortalLayout,
    /// Time limits.
    pub limits: Vec<LimitRow>,
    /// Units.
    pub units: Vec<CommitmentRow>,
}

/// A page that only says something (not found, refused, busy).
#[derive(Template)]
#[template(path = "portal/message.html")]
pub struct PortalMessage {
    /// Around it.
    pub p: PortalLayout,
    /// Heading.
    pub heading: String,
    /// Text.
    pub text: String,
}
