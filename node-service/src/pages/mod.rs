//! The staff pages, served by every node (a town office uses its own node, and it keeps working
//! while its district is unreachable).
//!
//! Page handlers hold no rule: they call the same operations as the JSON API (`api::tickets`,
//! `api::kb`, `auth::*`) and turn the answers into `web` view structs. Every page needs a
//! signed-in session; without one a page request goes to the sign-in page.

mod accounts;
mod callbacks;
mod calls;
mod diff;
mod drafts;
pub mod format;
mod forms;
mod intake;
mod kb_editor;
mod lists;
mod login;
mod messages;
mod operators;
mod order;
mod outbox;
mod phrases;
pub mod portal;
mod quality;
mod stats;
mod stats_topics;
mod status;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use hotline_model::role::{Role, User};
use web::{Layout, MessagePage, NavItem, Template};

use crate::auth::Principal;
use crate::http_common::routes::{Route, add, route};
use crate::state::AppState;
use hotline_operations::OpError;

/// The pages open to anyone: sign-in, static files, the icon.
pub fn open_routes() -> Vec<Route> {
    vec![
        route(
            "/staff/login",
            &["GET", "POST"],
            get(login::form).post(login::submit),
        ),
        route("/static/{file}", &["GET"], get(asset)),
        route("/favicon.ico", &["GET"], get(favicon)),
    ]
}

/// Every staff page: each needs a signed-in session.
pub fn staff_routes() -> Vec<Route> {
    vec![
        route("/staff", &["GET"], get(home)),
        route("/staff/", &["GET"], get(home)),
        route("/staff/logout", &["POST"], post(login::logout)),
        route(
            "/staff/password",
            &["GET", "POST"],
            get(login::password_form).post(login::password_submit),
        ),
        route(
            "/staff/intake",
            &["GET", "POST"],
            get(intake::form).post(intake::submit),
        ),
        route("/staff/intake/caller", &["POST"], post(intake::caller)),
        route("/staff/kb/panel", &["POST"], post(intake::kb_panel)),
        route("/staff/inbox", &["GET"], get(lists::inbox)),
        route("/staff/queue", &["GET"], get(lists::queue)),
        route("/staff/board", &["GET"], get(lists::board)),
        route("/staff/dispatch", &["POST"], post(lists::bulk_dispatch)),
        route("/staff/orders/{number}", &["GET"], get(order::page)),
        route("/staff/orders/{number}/act", &["POST"], post(order::act)),
        route(
            "/staff/orders/{number}/files/{sha}",
            &["GET"],
            get(order::file),
        ),
        route(
            "/staff/orders/{number}/files",
            &["POST"],
            post(order::upload).layer(axum::extract::DefaultBodyLimit::max(
                hotline_operations::files::MAX_ATTACHMENT + 64 * 1024,
            )),
        ),
        route("/staff/status", &["GET"], get(status::page)),
        route("/staff/outbox", &["GET"], get(outbox::page)),
        route("/staff/drafts", &["GET"], get(drafts::page)),
        route("/staff/drafts/{id}/answer", &["POST"], post(drafts::answer)),
        route(
            "/staff/drafts/{id}/dismiss",
            &["POST"],
            post(drafts::dismiss),
        ),
        route("/staff/callbacks", &["GET"], get(callbacks::page)),
        route("/staff/messages", &["GET"], get(messages::page)),
        route("/staff/stats/units", &["GET"], get(stats::units)),
        route("/staff/calls", &["GET"], get(calls::calls)),
        route("/staff/calls/pop", &["GET"], get(calls::pop)),
        route("/staff/quality", &["GET"], get(quality::list)),
        route(
            "/staff/quality/{call_id}",
            &["GET", "POST"],
            get(quality::form).post(quality::save),
        ),
        route("/staff/operators/{login}", &["GET"], get(operators::day)),
        route(
            "/staff/calls/{call_id}/recording",
            &["GET"],
            get(calls::recording),
        ),
        route(
            "/staff/calls/{call_id}/monitor",
            &["POST"],
            post(calls::monitor),
        ),
        route("/staff/stats/units.xlsx", &["GET"], get(stats::units_xlsx)),
        route("/staff/stats/orders", &["GET"], get(stats::orders)),
        route("/staff/stats/topics", &["GET"], get(stats_topics::topics)),
        route(
            "/staff/stats/topics.xlsx",
            &["GET"],
            get(stats_topics::topics_xlsx),
        ),
        route("/staff/stats/trend", &["GET"], get(stats_topics::trend)),
        route("/staff/stats/volume", &["GET"], get(stats_topics::volume)),
        route(
            "/staff/stats/operators",
            &["GET"],
            get(stats_topics::operators),
        ),
        route("/staff/stats/report", &["GET"], get(stats_topics::report)),
        route(
            "/staff/stats/report.xlsx",
            &["GET"],
            get(stats_topics::report_xlsx),
        ),
        route("/staff/messages/unread", &["GET"], get(messages::badge)),
        route("/staff/messages/open", &["GET"], get(messages::open)),
        route(
            "/staff/messages/read-all",
            &["POST"],
            post(messages::read_all),
        ),
        route("/staff/outbox/{id}/retry", &["POST"], post(outbox::retry)),
        route(
            "/staff/accounts",
            &["GET", "POST"],
            get(accounts::page).post(accounts::create),
        ),
        route(
            "/staff/accounts/{login}/act",
            &["POST"],
            post(accounts::act),
        ),
        route(
            "/staff/phrases",
            &["GET", "POST"],
            get(phrases::page).post(phrases::add),
        ),
        route(
            "/staff/phrases/{id}/remove",
            &["POST"],
            post(phrases::remove),
        ),
        route("/staff/kb", &["GET"], get(kb_editor::list)),
        route("/staff/kb/articles", &["POST"], post(kb_editor::create)),
        route("/staff/kb/articles/{id}", &["GET"], get(kb_editor::article)),
        route(
            "/staff/kb/articles/{id}/act",
            &["POST"],
            post(kb_editor::act),
        ),
    ]
}

/// The citizens' website (served by the hub: the orders of the whole city are there).
pub fn portal_routes() -> Vec<Route> {
    let upload = crate::blobs::MAX_PHOTOS * crate::blobs::MAX_PHOTO_BYTES + 256 * 1024;
    vec![
        route("/", &["GET"], get(portal::home)),
        route("/display", &["POST"], post(portal::display)),
        route(
            "/submit",
            &["GET", "POST"],
            get(portal::submit_form)
                .post(portal::submit)
                .layer(axum::extract::DefaultBodyLimit::max(upload)),
        ),
        route(
            "/lookup",
            &["GET", "POST"],
            get(portal::lookup_form).post(portal::lookup),
        ),
        route("/rate", &["POST"], post(portal::rate)),
        route("/results", &["GET"], get(portal::results)),
        route("/results/{number}", &["GET"], get(portal::result)),
        route("/figures", &["GET"], get(portal::figures)),
        route("/commitments", &["GET"], get(portal::commitments)),
    ]
}

/// The page routes: the open ones, the citizens' website at the hub (under the public budget),
/// and the staff pages behind a session.
pub fn routes(state: &AppState) -> Router<AppState> {
    let staff = add(Router::new(), staff_routes()).route_layer(
        axum::middleware::from_fn_with_state(state.clone(), require_session),
    );
    let open = add(Router::new(), open_routes()).merge(staff);
    if state.config.role == crate::config::NodeRole::Hub {
        open.merge(
            add(Router::new(), portal_routes()).layer(crate::http_common::budget::layer(
                state.citizens.slots.clone(),
            )),
        )
    } else {
        open
    }
}

/// Middleware: a page request without a valid session goes to the sign-in page (and back here
/// after it).
async fn require_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    match crate::http_common::actor::principal(&state, &req) {
        Ok(p) => {
            req.extensions_mut().insert(p);
            next.run(req).await
        }
        Err(f) => {
            let back = if req.method() == axum::http::Method::GET {
                req.uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            let mut to = String::from("/staff/login");
            let ended = matches!(f, crate::auth::AuthFailure::Ended(_));
            let mut sep = '?';
            if ended {
                to.push_str("?ended=1");
                sep = '&';
            }
            if !back.is_empty() && back.starts_with("/staff") {
                to.push(sep);
                to.push_str("next=");
                to.push_str(&format::url_encode(&back));
            }
            // htmx follows redirects inside fragments; tell it to load the sign-in page whole.
            let mut resp = Redirect::to(&to).into_response();
            if let Ok(v) = HeaderValue::from_str(&to) {
                resp.headers_mut().insert("hx-redirect", v);
            }
            resp
        }
    }
}

/// `?done=` on a page after a change: what happened, shown at the top (a refusal says 未).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    #[serde(default)]
    done: Option<String>,
}

impl Done {
    /// The message to show, if any.
    pub fn flash(self) -> Option<web::Flash> {
        self.done.map(|text| web::Flash {
            kind: if text.contains('未') { "error" } else { "ok" },
            text,
        })
    }
}

/// The signed-in user of a page request.
pub struct Staff(pub User);

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .map(|p| Staff(p.user.clone()))
            .ok_or_else(|| Redirect::to("/staff/login").into_response())
    }
}

/// Renders a template as a page.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

/// The page for an unknown path.
pub fn not_found() -> Response {
    let page = MessagePage {
        l: Layout {
            title: "页面不存在".into(),
            ..Layout::default()
        },
        heading: "页面不存在".into(),
        text: "您访问的页面不存在或已移动。".into(),
    };
    (StatusCode::NOT_FOUND, render(&page)).into_response()
}

/// What a page shows of a refusal: its status and its message.
pub trait Refusal {
    /// The answer's status.
    fn status(&self) -> StatusCode;
    /// The message for the user.
    fn message(&self) -> &str;
}

impl Refusal for OpError {
    fn status(&self) -> StatusCode {
        crate::http_common::status_of(self.kind)
    }
    fn message(&self) -> &str {
        &self.message
    }
}

/// Operations still answering in the JSON API's error (until they move into the core).
impl Refusal for crate::http_common::error::ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn message(&self) -> &str {
        &self.message
    }
}

/// A refusal or failure as a page, in the user's layout.
pub fn error_page(l: Layout, e: &impl Refusal) -> Response {
    let status = e.status();
    let heading = match status {
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::NOT_FOUND => "未找到",
        s if s.is_server_error() => "系统繁忙",
        _ => "无法完成",
    };
    let page = MessagePage {
        l,
        heading: heading.into(),
        text: e.message().to_owned(),
    };
    (status, render(&page)).into_response()
}

/// The navigation for a role: (href, label, key).
fn nav_for(role: Role) -> Vec<(&'static str, &'static str, char)> {
    let mut nav = match role {
        Role::Operator => vec![
            ("/staff/intake", "来电受理", 'i'),
            ("/staff/drafts", "市民来信", 'l'),
            ("/staff/callbacks", "回访名单", 'c'),
            ("/staff/queue?tab=callback", "待回访", 'w'),
            ("/staff/calls", "我的通话", 'y'),
            ("/staff/quality", "我的质检", 'z'),
        ],
        Role::ShiftLeader => vec![
            ("/staff/queue", "审核派单", 'q'),
            ("/staff/intake", "来电受理", 'i'),
            ("/staff/drafts", "市民来信", 'l'),
            ("/staff/board", "督办看板", 'b'),
            ("/staff/calls", "通话记录", 'y'),
            ("/staff/quality", "质检", 'z'),
            ("/staff/kb", "知识库维护", 'k'),
            ("/staff/phrases", "常用语", 't'),
        ],
        Role::Supervisor => vec![
            ("/staff/board", "督办看板", 'b'),
            ("/staff/messages", "消息", 'n'),
            ("/staff/stats/units", "统计考核", 'r'),
            ("/staff/stats/topics", "热点难点", 'h'),
            ("/staff/calls", "通话记录", 'y'),
            ("/staff/quality", "质检", 'z'),
            ("/staff/queue?tab=replied", "结果审核", 'q'),
            ("/staff/kb", "知识库维护", 'k'),
            ("/staff/outbox", "消息发送", 'm'),
        ],
        Role::Leader => vec![
            ("/staff/board", "督办看板", 'b'),
            ("/staff/messages", "消息", 'n'),
            ("/staff/stats/units", "统计考核", 'r'),
            ("/staff/stats/topics", "热点难点", 'h'),
            ("/staff/stats/volume", "受理量", 'v'),
        ],
        Role::Inspector => vec![("/staff/board", "督办看板", 'b')],
        Role::UnitHandler => vec![
            ("/staff/inbox", "待办工单", 'h'),
            ("/staff/messages", "消息", 'n'),
            ("/staff/phrases", "常用语", 't'),
        ],
        Role::UnitInfoAdmin => vec![("/staff/kb", "知识库维护", 'k')],
        Role::Admin => vec![
            ("/staff/accounts", "账号管理", 'a'),
            ("/staff/outbox", "消息发送", 'm'),
        ],
        Role::System | Role::App => vec![],
    };
    nav.push(("/staff/status", "节点状态", 's'));
    nav.push(("/staff/password", "修改密码", 'p'));
    nav
}

/// The page a role starts on.
pub(crate) fn home_of(role: Role) -> &'static str {
    nav_for(role)
        .first()
        .map_or("/staff/status", |(href, _, _)| href)
}

async fn home(Staff(user): Staff) -> Redirect {
    Redirect::to(home_of(user.role))
}

/// The layout of a page for `user`; `current` is the nav entry's href it belongs to.
pub fn layout(state: &AppState, user: &User, title: &str, current: &str) -> Layout {
    let refdata = state.refdata();
    let unit_name = refdata
        .org
        .get(&user.unit)
        .map_or_else(|| user.unit.clone(), |u| u.name.clone());
    let nav = nav_for(user.role)
        .into_iter()
        .map(|(href, label, key)| NavItem {
            href: href.into(),
            label: label.into(),
            key,
            current: href == current,
        })
        .collect();
    let offline = state
        .sync_links
        .snapshot()
        .iter()
        .any(|l| l.direction == "upstream" && !l.connected);
    Layout {
        title: title.into(),
        user_name: user.name.clone(),
        login: user.login.clone(),
        role_label: user.role.label().into(),
        unit_name,
        node: node_label(state),
        nav,
        offline,
        flash: None,
        screen_pop: user.role == hotline_model::role::Role::Operator,
    }
}

/// This node: its code and the unit it serves.
pub fn node_label(state: &AppState) -> String {
    let refdata = state.refdata();
    let served = refdata
        .org
        .get(&state.config.jurisdiction)
        .map_or_else(|| state.config.jurisdiction.clone(), |u| u.name.clone());
    format!("{}（{served}）", state.config.node_code)
}

/// `GET /favicon.ico`: browsers ask for it whatever the page says.
async fn favicon() -> Response {
    match web::assets::ASSETS.iter().find(|a| a.name == "favicon.svg") {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /static/{file}`: an embedded file by its hashed name, cacheable for a year.
async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match web::assets::by_path(&format!("/static/{file}")) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "未找到").into_response(),
    }
}
