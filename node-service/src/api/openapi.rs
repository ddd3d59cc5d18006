//! `GET /api/openapi.json`: an OpenAPI 3.1 description of the node's whole JSON API, generated
//! from the code: every route of the route tables ([`super::open_routes`], [`super::public_routes`],
//! [`super::staff_routes`] and Open311's), its parameters, body, answers and errors, the schemas
//! derived from the very types the handlers read and write (schemars, JSON Schema 2020-12, which
//! OpenAPI 3.1 uses as is). A test fails when a route of the router has no entry here.
//!
//! Why one file of this length: it describes every route of every face in one table, so the tests can compare it with the routers.

use axum::Json;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

/// Who may call an operation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone.
    Open,
    /// A signed-in session or a service token.
    Staff,
}

/// One operation's description.
struct Op {
    summary: &'static str,
    access: Access,
    params: Vec<Value>,
    body: Option<Value>,
    ok: (u16, Value),
}

struct Builder {
    gen_: SchemaGenerator,
}

fn to_value(s: Schema) -> Value {
    s.to_value()
}

impl Builder {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = "/components/schemas".into();
        });
        Builder {
            gen_: settings.into_generator(),
        }
    }

    /// A schema reference (or inline schema) for `T`.
    fn schema<T: JsonSchema>(&mut self) -> Value {
        to_value(self.gen_.subschema_for::<T>())
    }

    /// Query parameters from a query struct's properties.
    fn query<T: JsonSchema>(&mut self) -> Vec<Value> {
        let root = to_value(self.gen_.root_schema_for::<T>());
        let required: Vec<String> = root["required"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        root["properties"]
            .as_object()
            .map(|props| {
                props
                    .iter()
                    .map(|(name, schema)| {
                        let mut schema = schema.clone();
                        let description =
                            schema.as_object_mut().and_then(|o| o.remove("description"));
                        let mut param = json!({
                            "name": name, "in": "query",
                            "required": required.contains(name),
                            "schema": schema,
                        });
                        // A parameter without its doc comment has no description (never `null`,
                        // which strict validators reject); the tests require one for every parameter.
                        if let Some(d) = description {
                            param["description"] = d;
                        }
                        param
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn json_body<T: JsonSchema>(&mut self) -> Option<Value> {
        Some(json!({
            "required": true,
            "content": {"application/json": {"schema": self.schema::<T>()}}
        }))
    }
}

/// The schema of a file's bytes (a success answered with the file itself).
fn binary() -> Value {
    json!({"type": "string", "format": "binary"})
}

fn binary_body() -> Value {
    json!({"required": true, "content": {"application/octet-stream": {"schema": binary()}}})
}

fn object() -> Value {
    json!({"type": "object"})
}

fn array_of(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

/// The documented operations by (method, path).
fn operations(b: &mut Builder) -> Vec<(&'static str, &'static str, Op)> {
    use crate::citizen;
    use hotline_model::ticket::TicketView;
    use replica_store::{TicketFilter, TicketSummary};
    let open = |summary, ok| Op {
        summary,
        access: Access::Open,
        params: Vec::new(),
        body: None,
        ok,
    };
    let staff = |summary, ok| Op {
        summary,
        access: Access::Staff,
        params: Vec::new(),
        body: None,
        ok,
    };
    let with_body = |mut op: Op, body| {
        op.body = body;
        op
    };
    let with_params = |mut op: Op, params| {
        op.params = params;
        op
    };
    let ticket = b.schema::<TicketView>();
    let article = b.schema::<replica_store::article_doc::ArticleView>();
    let public_ticket = b.schema::<citizen::lookup::PublicTicket>();
    let kb_search_params = vec![
        json!({"name": "q", "in": "query", "required": true, "description": "问题原文", "schema": {"type": "string"}}),
        query_param(
            "limit",
            json!({"type": ["integer", "null"], "minimum": 0}),
            "条数",
        ),
        query_param("include_expired", json!({"type": "boolean"}), "含已过期"),
        query_param(
            "include_unpublished",
            json!({"type": "boolean"}),
            "含未发布",
        ),
        query_param("unit", json!({"type": ["string", "null"]}), "单位"),
        query_param("category", json!({"type": ["string", "null"]}), "分类"),
        query_param("region", json!({"type": ["string", "null"]}), "地区"),
        query_param("facets", json!({"type": "boolean"}), "分面统计"),
    ];
    vec![
        (
            "get",
            "/api/health",
            open("节点状态（同步链路、工单数）", (200, object())),
        ),
        (
            "get",
            "/api/openapi.json",
            open("本接口说明（OpenAPI 3.1）", (200, object())),
        ),
        (
            "post",
            "/api/session",
            with_body(
                open("登录：设置会话 Cookie", (200, object())),
                b.json_body::<super::session::SignIn>(),
            ),
        ),
        ("get", "/api/session", staff("当前用户", (200, object()))),
        (
            "post",
            "/api/session/end",
            staff("退出登录", (200, object())),
        ),
        (
            "post",
            "/api/session/password",
            with_body(
                staff("修改本人密码", (200, object())),
                b.json_body::<super::session::ChangePassword>(),
            ),
        ),
        (
            "post",
            "/api/accounts",
            with_body(
                staff("新建账号（用户管理员）", (201, object())),
                b.json_body::<crate::auth::accounts::NewAccount>(),
            ),
        ),
        (
            "post",
            "/api/accounts/{login}/disable",
            staff("停用账号", (200, object())),
        ),
        (
            "post",
            "/api/accounts/{login}/enable",
            staff("启用账号", (200, object())),
        ),
        (
            "post",
            "/api/accounts/{login}/password",
            with_body(
                staff("重置密码", (200, object())),
                b.json_body::<super::accounts::Reset>(),
            ),
        ),
        (
            "post",
            "/api/tokens",
            with_body(
                staff("签发接口令牌（中心用户管理员）", (201, object())),
                b.json_body::<super::accounts::NewToken>(),
            ),
        ),
        (
            "post",
            "/api/tickets",
            with_body(
                staff(
                    "登记工单",
                    (
                        201,
                        json!({"type": "object", "properties": {"ticket": ticket.clone(), "query_code": {"type": "string"}}, "required": ["ticket", "query_code"]}),
                    ),
                ),
                b.json_body::<hotline_operations::tickets::CreateRequest>(),
            ),
        ),
        ("get", "/api/tickets", {
            let p = b.query::<TicketFilter>();
            with_params(
                staff(
                    "工单列表（按键翻页，X-Next-After 给出下一页）",
                    (200, array_of(b.schema::<TicketSummary>())),
                ),
                p,
            )
        }),
        (
            "get",
            "/api/tickets/{key}",
            staff("工单详情（按编号或文档号）", (200, ticket.clone())),
        ),
        (
            "post",
            "/api/tickets/{key}/actions",
            with_body(
                staff(
                    "工单操作（审核、派单、签收、退回、答复、回访、办结……）",
                    (200, ticket.clone()),
                ),
                b.json_body::<hotline_operations::tickets::ask::ActionRequest>(),
            ),
        ),
        (
            "get",
            "/api/kb/search",
            with_params(staff("知识库检索", (200, object())), kb_search_params),
        ),
        (
            "post",
            "/api/kb/articles",
            with_body(
                staff("新建知识条目", (201, article.clone())),
                b.json_body::<super::kb::NewArticle>(),
            ),
        ),
        (
            "get",
            "/api/kb/articles/{id}",
            staff("知识条目", (200, article.clone())),
        ),
        (
            "post",
            "/api/kb/articles/{id}/actions",
            with_body(
                staff("知识条目的修订、审核、发布、废止", (200, article.clone())),
                b.json_body::<hotline_model::article::ArticleAction>(),
            ),
        ),
        (
            "post",
            "/api/kb/articles/{id}/used",
            staff("记录一次采用", (200, article.clone())),
        ),
        ("get", "/api/audit", {
            let p = b.query::<hotline_operations::audit::AuditQuery>();
            with_params(staff("个人信息访问审计记录", (200, object())), p)
        }),
        ("get", "/api/outbox", {
            let p = b.query::<super::outbox::OutboxQuery>();
            with_params(staff("消息发送记录（短信、邮件）", (200, object())), p)
        }),
        (
            "post",
            "/api/outbox/{id}/retry",
            staff("重新发送一条已停止重试的消息", (200, object())),
        ),
        ("get", "/api/drafts", {
            let p = b.query::<hotline_operations::drafts::DraftQuery>();
            with_params(
                staff(
                    "市民来信（短信、邮件、微信）待处理队列",
                    (200, b.schema::<hotline_operations::drafts::Drafts>()),
                ),
                p,
            )
        }),
        (
            "get",
            "/api/drafts/{id}",
            staff(
                "一条市民来信",
                (200, b.schema::<replica_store::inbound::Message>()),
            ),
        ),
        (
            "post",
            "/api/drafts/{id}/answer",
            with_body(
                staff(
                    "按来信渠道答复市民",
                    (200, b.schema::<replica_store::inbound::Message>()),
                ),
                b.json_body::<super::drafts::AnswerRequest>(),
            ),
        ),
        (
            "post",
            "/api/drafts/{id}/dismiss",
            with_body(
                staff(
                    "归档一条市民来信",
                    (200, b.schema::<replica_store::inbound::Message>()),
                ),
                b.json_body::<super::drafts::DismissRequest>(),
            ),
        ),
        ("get", "/api/callbacks", {
            let p = b.query::<super::callbacks::CallbackQuery>();
            with_params(
                staff(
                    "回访名单（待电话回访的工单）",
                    (200, b.schema::<super::callbacks::Callbacks>()),
                ),
                p,
            )
        }),
        ("get", "/api/messages", {
            let p = b.query::<super::messages::MessageQuery>();
            with_params(
                staff(
                    "站内消息（本单位的派单、催办、督办等）及未读数",
                    (200, b.schema::<super::messages::Messages>()),
                ),
                p,
            )
        }),
        (
            "post",
            "/api/messages/read",
            with_body(
                staff("标记消息已读", (200, object())),
                b.json_body::<super::messages::ReadRequest>(),
            ),
        ),
        (
            "post",
            "/api/inbound/sms/{provider}/{secret}",
            open(
                "短信网关推送市民上行短信（aliyun 或 tencent 格式；路径含密钥）",
                (200, object()),
            ),
        ),
        (
            "post",
            "/api/inbound/mail/{secret}",
            open(
                "邮件服务器投递市民来信（原始邮件 RFC 5322；路径含密钥）",
                (200, object()),
            ),
        ),
        (
            "get",
            "/api/inbound/wechat",
            open("微信公众号服务器地址校验", (200, json!({"type": "string"}))),
        ),
        (
            "post",
            "/api/telephony/cdr/{secret}",
            open(
                "话务系统推送通话记录（FreeSWITCH mod_json_cdr：JSON 或表单字段 cdr）",
                (200, object()),
            ),
        ),
        (
            "post",
            "/api/inbound/wechat",
            open(
                "微信公众号消息推送（明文或安全模式）",
                (200, json!({"type": "string"})),
            ),
        ),
        (
            "put",
            "/api/telephony/recordings/{secret}/{call_id}",
            with_body(
                open(
                    "话务系统上传通话录音（WAV、MP3 或 Ogg 原始字节；路径含密钥与通话标识）",
                    (200, b.schema::<crate::files::RecordingKept>()),
                ),
                Some(binary_body()),
            ),
        ),
        (
            "get",
            "/api/tickets/{key}/files/{sha}",
            staff(
                "工单的文件（照片、文件、通话录音；支持 Range 分段读取；打开录音记入审计日志）",
                (200, binary()),
            ),
        ),
        ("post", "/api/tickets/{key}/files", {
            let p = b.query::<super::files::UploadQuery>();
            with_params(
                with_body(
                    staff(
                        "为工单上传照片或 PDF 文件（原始字节）",
                        (200, ticket.clone()),
                    ),
                    Some(binary_body()),
                ),
                p,
            )
        }),
        ("get", "/api/calls", {
            let p = b.query::<super::calls::CallQuery>();
            with_params(
                staff(
                    "通话记录（话务员只看自己的），每通电话登记的工单",
                    (200, b.schema::<super::calls::CallPage>()),
                ),
                p,
            )
        }),
        (
            "get",
            "/api/calls/live",
            staff(
                "进行中的通话（话务员只看自己的），及能否监听",
                (200, b.schema::<crate::telephony::live::LiveCalls>()),
            ),
        ),
        (
            "post",
            "/api/calls/{call_id}/monitor",
            with_body(
                staff(
                    "监听或强插进行中的通话（话务系统呼叫本人分机；记入审计日志）",
                    (200, b.schema::<super::calls::MonitorStarted>()),
                ),
                b.json_body::<super::calls::MonitorRequest>(),
            ),
        ),
        (
            "get",
            "/api/calls/{call_id}/recording",
            staff(
                "通话录音（支持 Range；打开即记入审计日志）",
                (200, binary()),
            ),
        ),
        (
            "put",
            "/api/calls/{call_id}/score",
            with_body(
                staff(
                    "质检评分：按评分表为一通电话打分（值班长、监督员）",
                    (200, b.schema::<hotline_model::quality::CallScore>()),
                ),
                b.json_body::<super::quality::ScoreRequest>(),
            ),
        ),
        ("get", "/api/operators/{login}/day", {
            let p = b.query::<super::operators::DayQuery>();
            with_params(
                staff(
                    "话务员某日工作情况：签入签出、各状态时长、通话、话后处理、登记工单、质检",
                    (200, b.schema::<super::operators::OperatorDay>()),
                ),
                p,
            )
        }),
        (
            "get",
            "/api/quality/form",
            staff(
                "质检评分表（评分项与分值、抽检比例）",
                (200, b.schema::<hotline_model::quality::QualityForm>()),
            ),
        ),
        ("get", "/api/quality/sample", {
            let p = b.query::<super::quality::SampleQuery>();
            with_params(
                staff(
                    "某日随机抽检的通话及其评分",
                    (200, b.schema::<super::quality::Sample>()),
                ),
                p,
            )
        }),
        ("get", "/api/quality/scores", {
            let p = b.query::<super::quality::ScoresQuery>();
            with_params(
                staff(
                    "质检结果（话务员只看自己的）",
                    (
                        200,
                        array_of(b.schema::<hotline_model::quality::CallScore>()),
                    ),
                ),
                p,
            )
        }),
        ("get", "/api/stats/units", {
            let p = b.query::<super::stats::StatsQuery>();
            with_params(
                staff(
                    "单位考核（含综合得分与排名）",
                    (200, b.schema::<super::stats::UnitReport>()),
                ),
                p,
            )
        }),
        ("get", "/api/stats/orders", {
            let p = b.query::<super::stats::OrdersQuery>();
            with_params(
                staff(
                    "考核数字背后的工单（某单位在某期间承办的工单）",
                    (200, b.schema::<super::stats::UnitOrders>()),
                ),
                p,
            )
        }),
        ("get", "/api/stats/topics", {
            let p = b.query::<super::stats_topics::TopicQuery>();
            with_params(
                staff(
                    "热点与难点：各事项、区域、渠道的受理量及环比、同比，退单、延期、重办、不满意，同一地点重复诉求",
                    (200, b.schema::<super::stats_topics::TopicReport>()),
                ),
                p,
            )
        }),
        ("get", "/api/stats/topic_orders", {
            let p = b.query::<super::stats_topics::TopicOrdersQuery>();
            with_params(
                staff(
                    "某一事项、区域、渠道或话务员的受理数背后的工单",
                    (200, b.schema::<super::stats_topics::TopicOrders>()),
                ),
                p,
            )
        }),
        ("get", "/api/stats/trend", {
            let p = b.query::<super::stats_topics::TrendQuery>();
            with_params(
                staff(
                    "某一事项、区域或渠道逐月的受理与办理情况",
                    (200, b.schema::<super::stats_topics::TrendReport>()),
                ),
                p,
            )
        }),
        ("get", "/api/stats/volume", {
            let p = b.query::<super::stats_topics::VolumeQuery>();
            with_params(
                staff(
                    "受理量：按渠道、诉求类型逐日或逐月，直接办结与派单",
                    (200, b.schema::<super::stats_topics::VolumeReport>()),
                ),
                p,
            )
        }),
        ("get", "/api/units", {
            let p = b.query::<super::reference::UnitQuery>();
            with_params(
                staff(
                    "组织机构",
                    (200, array_of(b.schema::<hotline_model::org::Unit>())),
                ),
                p,
            )
        }),
        (
            "get",
            "/api/categories",
            staff("诉求分类与时限", (200, object())),
        ),
        (
            "get",
            "/api/users",
            staff(
                "用户（不含口令）",
                (200, array_of(b.schema::<hotline_model::role::User>())),
            ),
        ),
        (
            "get",
            "/api/reference/{name}",
            staff("基础数据原文（TOML）", (200, object())),
        ),
        (
            "put",
            "/api/reference/{name}",
            with_body(
                staff("修改基础数据（中心）", (200, object())),
                b.json_body::<super::reference_edit::Edit>(),
            ),
        ),
        (
            "post",
            "/api/public/lookup",
            with_body(
                open("市民查询：工单编号 + 查询码", (200, public_ticket.clone())),
                b.json_body::<super::public::LookupRequest>(),
            ),
        ),
        (
            "post",
            "/api/public/rate",
            with_body(
                open("市民评价（每件一次）", (200, public_ticket.clone())),
                b.json_body::<citizen::rate::RateRequest>(),
            ),
        ),
        (
            "post",
            "/api/public/requests",
            with_body(
                open(
                    "市民网上提交诉求",
                    (201, b.schema::<citizen::submit::Submitted>()),
                ),
                b.json_body::<citizen::submit::Submission>(),
            ),
        ),
        ("get", "/api/public/figures", {
            let p = b.query::<super::public_figures::FiguresQuery>();
            with_params(open("某月公开数据", (200, object())), p)
        }),
        (
            "get",
            "/api/public/figures/recent",
            open(
                "近12个月公开数据（按月、类型、单位）",
                (200, b.schema::<citizen::figures::RecentFigures>()),
            ),
        ),
        ("get", "/api/public/published", {
            let p = b.query::<super::public::PublishedQuery>();
            with_params(
                open(
                    "办理结果公示",
                    (200, b.schema::<citizen::published::ResultPage>()),
                ),
                p,
            )
        }),
        (
            "get",
            "/api/public/published/{number}",
            open(
                "一条公示结果",
                (200, b.schema::<citizen::published::PublicResult>()),
            ),
        ),
        (
            "get",
            "/api/public/commitments",
            open(
                "服务承诺",
                (200, b.schema::<citizen::commitments::Commitments>()),
            ),
        ),
        (
            "get",
            "/open311/v2/{resource}",
            with_params(
                open(
                    "Open311：services.{json|xml} 服务列表；requests.{json|xml} 查询服务请求",
                    (200, json!({"type": "array", "items": {"type": "object"}})),
                ),
                open311_search_params(),
            ),
        ),
        (
            "post",
            "/open311/v2/{resource}",
            with_body(
                open(
                    "Open311：requests.{json|xml} 提交服务请求（api_key 必填）",
                    (200, json!({"type": "array", "items": {"type": "object"}})),
                ),
                Some(open311_post_body()),
            ),
        ),
        (
            "get",
            "/open311/v2/{resource}/{id}",
            with_params(
                open(
                    "Open311：services/{code}、requests/{id}、tokens/{token}（.json 或 .xml）",
                    (200, json!({"type": ["array", "object"]})),
                ),
                vec![query_param(
                    "api_key",
                    json!({"type": "string"}),
                    "应用的 api_key（查询本应用提交的请求）",
                )],
            ),
        ),
    ]
}

fn open311_search_params() -> Vec<Value> {
    vec![
        query_param("api_key", json!({"type": "string"}), "应用的 api_key"),
        query_param(
            "service_request_id",
            json!({"type": "string"}),
            "逗号分隔的工单编号",
        ),
        query_param("service_code", json!({"type": "string"}), "服务代码"),
        query_param(
            "start_date",
            json!({"type": "string"}),
            "起始时间（ISO 8601，带时区）",
        ),
        query_param(
            "end_date",
            json!({"type": "string"}),
            "截止时间（不超过起始后90天）",
        ),
        query_param(
            "status",
            json!({"type": "string", "enum": ["open", "closed", "open,closed"]}),
            "状态",
        ),
    ]
}

fn open311_post_body() -> Value {
    let s = |d: &str| json!({"type": "string", "description": d});
    json!({
        "required": true,
        "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object",
            "required": ["api_key", "service_code"],
            "properties": {
                "api_key": s("应用的 api_key"),
                "service_code": s("服务代码"),
                "lat": s("纬度"), "long": s("经度"),
                "address_string": s("地址"), "address_id": s("地址编码"),
                "attribute[request_type]": s("诉求类型"),
                "email": s("电子邮箱"), "device_id": s("设备"), "account_id": s("应用内账号"),
                "first_name": s("名"), "last_name": s("姓"), "phone": s("电话"),
                "description": s("诉求内容（至多4000字）"), "media_url": s("图片链接"),
            }
        }}}
    })
}

/// Path parameters of a path template, as strings.
fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| {
            let mut p =
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
            // A name not in the table goes undescribed, which the tests catch.
            if let Some(d) = path_param_description(name) {
                p["description"] = d.into();
            }
            p
        })
        .collect()
}

/// What a path parameter names.
fn path_param_description(name: &str) -> Option<&'static str> {
    Some(match name {
        "key" => "工单 id 或编号",
        "number" => "工单编号",
        "login" => "账号",
        "call_id" => "通话 id",
        "sha" => "文件的 SHA-256（十六进制）",
        "secret" => "推送地址中的密钥",
        "provider" => "短信服务商：aliyun 或 tencent",
        "name" => "基础数据名称",
        "resource" => "Open311 资源（services 或 requests），可带 .json 或 .xml",
        "id" => "编号",
        _ => return None,
    })
}

/// The whole description.
pub fn document() -> Value {
    let mut b = Builder::new();
    let ops = operations(&mut b);
    let mut paths = Map::new();
    for (method, path, op) in ops {
        let mut params = path_params(path);
        params.extend(op.params);
        let (status, schema) = op.ok;
        let is_open311 = path.starts_with("/open311/");
        let content = if is_open311 {
            json!({"application/json": {"schema": schema}, "text/xml": {"schema": {"type": "string"}}})
        } else if schema == binary() {
            json!({"*/*": {"schema": schema}})
        } else {
            json!({"application/json": {"schema": schema}})
        };
        let error = if is_open311 {
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/Open311Errors"}},
                   "text/xml": {"schema": {"type": "string"}}})
        } else {
            json!({"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}})
        };
        let mut operation = json!({
            "summary": op.summary,
            "operationId": format!("{method} {path}"),
            "parameters": params,
            "responses": {
                status.to_string(): {"description": "成功", "content": content},
                "default": {"description": "错误（400 参数有误、401 未登录、403 无权、404 不存在、409 流程不允许、413 过大、422 字段不合要求、429 过于频繁、503 繁忙）", "content": error},
            },
        });
        if let Some(body) = op.body {
            operation["requestBody"] = body;
        }
        if op.access == Access::Staff {
            operation["security"] = json!([{"session": []}, {"token": []}]);
        }
        let entry = paths
            .entry(path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[method] = operation;
    }
    let mut schemas: Map<String, Value> = b.gen_.take_definitions(true).into_iter().collect();
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error", "message"], "properties": {
            "error": {"type": "string", "description": "错误代码"},
            "message": {"type": "string", "description": "说明（中文）"},
            "detail": {"description": "细节"},
        }}),
    );
    schemas.insert(
        "Open311Errors".into(),
        json!({"type": "array", "items": {"type": "object", "required": ["code", "description"],
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}}}}),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "临江市12345热线平台接口",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "每个节点的 JSON 接口；市民接口与 Open311 仅在市中心节点（hub）提供。工作人员接口需会话 Cookie 或接口令牌。",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE},
                "token": {"type": "http", "scheme": "bearer"},
            },
        },
    })
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Json<Value> {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    Json(DOC.get_or_init(document).clone())
}
