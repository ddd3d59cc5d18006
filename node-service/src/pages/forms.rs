//! Workflow actions as page forms: which actions a user may take on an order now (each one tried
//! against the same translation and rules as the API: `to_action`, then the model's
//! `TicketState::check`), the form each needs, and a posted form turned back into the API's
//! `ActionRequest`.

use hotline_model::event::{ActionKind, Event, Satisfaction, SupervisionLevel};
use hotline_model::hlc::Hlc;
use hotline_model::refdata::ReferenceData;
use hotline_model::role::{Role, User};
use hotline_model::ticket::TicketView;
use serde_json::{Map, Value};
use web::{ActionForm, Choice, Field};

use hotline_operations::tickets::ask::{ActionRequest, to_action};

fn field(name: &str, label: &str, kind: &'static str, required: bool) -> Field {
    Field {
        name: name.into(),
        label: label.into(),
        kind,
        choices: Vec::new(),
        required,
        value: String::new(),
    }
}

fn select(name: &str, label: &str, choices: Vec<Choice>) -> Field {
    Field {
        choices,
        ..field(name, label, "select", true)
    }
}

fn choice(value: &str, label: &str, selected: bool) -> Choice {
    Choice {
        value: value.into(),
        label: label.into(),
        hint: String::new(),
        selected,
    }
}

fn unit_choice(refdata: &ReferenceData, code: &str, selected: bool) -> Choice {
    choice(code, &super::format::unit_name(refdata, code), selected)
}

/// Units to dispatch to: the subject's default units first (suggested), then every unit but the
/// centre, by code.
pub fn dispatch_units(refdata: &ReferenceData, subject: &str) -> Vec<Choice> {
    let suggested = refdata.default_units(subject);
    let mut out: Vec<Choice> = suggested
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut c = unit_choice(refdata, u, i == 0);
            c.label = format!("{}（建议）", c.label);
            c
        })
        .collect();
    out.extend(
        super::format::unit_choices(refdata, refdata.org.root(), true, "")
            .into_iter()
            .filter(|c| !suggested.contains(&c.value)),
    );
    out
}

/// 常用语: text templates offered for an action's text fields.
fn phrases(kind: ActionKind) -> Vec<String> {
    let p: &[&str] = match kind {
        ActionKind::Return => &[
            "不属于本单位职责范围，建议转交相关部门办理。",
            "诉求地址不在本辖区，请核实后重新派单。",
            "诉求内容不清，无法办理，请补充联系方式或具体地点。",
        ],
        ActionKind::Reply => &[
            "经现场核实，情况属实，已责成相关单位整改完毕。",
            "已与来电人电话沟通，解释相关政策，来电人表示理解。",
            "已安排工作人员上门处理，问题已解决。",
        ],
        ActionKind::RequestExtension => &["需协调多个部门共同处理，申请延期。"],
        ActionKind::Callback => &["来电人表示问题已解决，对办理结果满意。"],
        ActionKind::ReviewResult | ActionKind::Reopen => &["答复内容未针对诉求，请重新核实办理。"],
        ActionKind::KeepClosed => &["经核实已按政策答复，诉求超出政策范围，维持办结。"],
        _ => &[],
    };
    p.iter().map(|s| (*s).to_owned()).collect()
}

/// Every action `user` may take on `view` at `now`, with its form, in workflow order; the unit's
/// own templates (`unit_phrases`) follow the built-in ones.
pub fn available(
    user: &User,
    view: &TicketView,
    refdata: &ReferenceData,
    now: i64,
    node: &str,
    unit_phrases: &[replica_store::phrases_doc::Phrase],
) -> Vec<ActionForm> {
    let state = &view.state;
    let active: Vec<&str> = state.active_units();
    let pending_ext: Vec<String> = state
        .lead
        .iter()
        .chain(state.co.iter())
        .filter(|a| a.extension_request.is_some())
        .map(|a| a.unit.clone())
        .collect();
    let children: Vec<String> = refdata
        .org
        .children(&user.unit)
        .map(|u| u.code.clone())
        .collect();
    let text = |s: &str| s.to_owned();
    let sample_unit = refdata
        .default_units(&state.subject)
        .first()
        .cloned()
        .or_else(|| {
            refdata
                .org
                .subtree(refdata.org.root())
                .nth(1)
                .map(|u| u.code.clone())
        })
        .unwrap_or_default();
    let returns = state.returns();
    let mut candidates: Vec<(ActionRequest, ActionForm)> = Vec::new();
    let mut add = |req: ActionRequest, kind: ActionKind, label: &str, fields: Vec<Field>| {
        let code = action_code(kind);
        let mut offered = phrases(kind);
        offered.extend(
            unit_phrases
                .iter()
                .filter(|p| p.action == code)
                .map(|p| p.text.clone()),
        );
        candidates.push((
            req,
            ActionForm {
                action: code,
                label: label.into(),
                fields,
                phrases: offered,
            },
        ));
    };
    add(
        ActionRequest::Review {
            accept: true,
            note: String::new(),
            subject: None,
            request_type: None,
            title: None,
            urgent: None,
        },
        ActionKind::Review,
        "审核",
        vec![
            select(
                "accept",
                "审核意见",
                vec![
                    choice("true", "通过，待派单", true),
                    choice("false", "退回话务员补正", false),
                ],
            ),
            field("note", "说明（退回时必填）", "textarea", false),
        ],
    );
    add(
        ActionRequest::Resubmit {
            note: String::new(),
        },
        ActionKind::Resubmit,
        "补正后重新提交",
        vec![field("note", "补正说明", "textarea", false)],
    );
    let mut dispatch_fields = vec![
        select("lead", "主办单位", dispatch_units(refdata, &state.subject)),
        Field {
            choices: dispatch_units(refdata, &state.subject)
                .into_iter()
                .map(|mut c| {
                    c.selected = false;
                    c
                })
                .collect(),
            ..field("co", "协办单位（可多选）", "multi", false)
        },
        field("note", "派单意见", "textarea", false),
    ];
    if returns > 0 {
        dispatch_fields.push(Field {
            label: format!("审定（已被退回 {returns} 次：承办单位不得再退回）"),
            ..field("final_assignment", "", "checkbox", false)
        });
    }
    add(
        ActionRequest::Dispatch {
            lead: sample_unit.clone(),
            co: Vec::new(),
            note: String::new(),
            final_assignment: false,
        },
        ActionKind::Dispatch,
        if returns > 0 {
            "重新派单"
        } else {
            "派单"
        },
        dispatch_fields,
    );
    if let Some(first) = children.first() {
        add(
            ActionRequest::Transfer {
                to: first.clone(),
                co: Vec::new(),
                note: String::new(),
            },
            ActionKind::Transfer,
            "转派下级单位",
            vec![
                select(
                    "to",
                    "承办的下级单位",
                    children
                        .iter()
                        .enumerate()
                        .map(|(i, c)| unit_choice(refdata, c, i == 0))
                        .collect(),
                ),
                field("note", "转派意见", "textarea", false),
            ],
        );
    }
    add(ActionRequest::Sign, ActionKind::Sign, "签收", Vec::new());
    add(
        ActionRequest::Return { reason: text("x") },
        ActionKind::Return,
        "退回中心",
        vec![field("reason", "退回理由", "textarea", true)],
    );
    add(
        ActionRequest::RequestExtension {
            days: 3,
            reason: text("x"),
        },
        ActionKind::RequestExtension,
        "申请延期",
        vec![
            Field {
                value: "3".into(),
                ..field("days", "延长的工作日数（1–30）", "number", true)
            },
            field("reason", "延期理由", "textarea", true),
        ],
    );
    if let Some(first) = pending_ext.first() {
        let units = || {
            pending_ext
                .iter()
                .map(|u| unit_choice(refdata, u, u == first))
                .collect::<Vec<_>>()
        };
        add(
            ActionRequest::ApproveExtension {
                for_unit: first.clone(),
                note: String::new(),
            },
            ActionKind::ApproveExtension,
            "批准延期",
            vec![
                select("for_unit", "申请单位", units()),
                field("note", "意见", "textarea", false),
            ],
        );
        add(
            ActionRequest::RejectExtension {
                for_unit: first.clone(),
                reason: text("x"),
            },
            ActionKind::RejectExtension,
            "驳回延期",
            vec![
                select("for_unit", "申请单位", units()),
                field("reason", "驳回理由", "textarea", true),
            ],
        );
    }
    add(
        ActionRequest::Reply {
            founded: true,
            solved: true,
            public_reply: text("x"),
            internal_note: String::new(),
        },
        ActionKind::Reply,
        "办理反馈",
        vec![
            Field {
                value: "true".into(),
                ..field("founded", "反映情况属实", "checkbox", false)
            },
            Field {
                value: "true".into(),
                ..field("solved", "问题已解决", "checkbox", false)
            },
            field(
                "public_reply",
                "答复市民（将公开给来电人）",
                "textarea",
                true,
            ),
            field(
                "internal_note",
                "内部说明（仅工作人员可见）",
                "textarea",
                false,
            ),
        ],
    );
    add(
        ActionRequest::ReviewResult {
            accept: true,
            reason: String::new(),
        },
        ActionKind::ReviewResult,
        "审核办理结果",
        vec![
            select(
                "accept",
                "审核意见",
                vec![
                    choice("true", "通过，待回访", true),
                    choice("false", "不通过，退回重办", false),
                ],
            ),
            field("reason", "意见（重办时必填）", "textarea", false),
        ],
    );
    add(
        ActionRequest::Callback {
            satisfaction: Satisfaction::Satisfied,
            note: String::new(),
        },
        ActionKind::Callback,
        "回访",
        vec![
            select(
                "satisfaction",
                "市民评价",
                [
                    Satisfaction::Satisfied,
                    Satisfaction::BasicallySatisfied,
                    Satisfaction::Unsatisfied,
                    Satisfaction::Unreachable,
                ]
                .iter()
                .enumerate()
                .map(|(i, s)| choice(&super::format::code_of(s), s.label(), i == 0))
                .collect(),
            ),
            field("note", "回访记录", "textarea", false),
        ],
    );
    add(
        ActionRequest::Close {
            publish: false,
            note: String::new(),
        },
        ActionKind::Close,
        "办结",
        vec![
            field("publish", "在市民网站公示办理结果", "checkbox", false),
            field("note", "办结说明", "textarea", false),
        ],
    );
    add(
        ActionRequest::Reopen { reason: text("x") },
        ActionKind::Reopen,
        "重办",
        vec![field("reason", "重办理由", "textarea", true)],
    );
    add(
        ActionRequest::KeepClosed { reason: text("x") },
        ActionKind::KeepClosed,
        "维持办结",
        vec![field("reason", "维持办结理由", "textarea", true)],
    );
    if let Some(first) = active.first() {
        let targets = || {
            active
                .iter()
                .map(|u| unit_choice(refdata, u, u == first))
                .collect::<Vec<_>>()
        };
        add(
            ActionRequest::Urge {
                target: (*first).to_owned(),
                note: String::new(),
            },
            ActionKind::Urge,
            "催办",
            vec![
                select("target", "催办单位", targets()),
                field("note", "催办内容", "textarea", false),
            ],
        );
        let leader = user.role == Role::Leader;
        let levels = if leader {
            vec![choice("named", SupervisionLevel::Named.label(), true)]
        } else {
            vec![
                choice("notice", SupervisionLevel::Notice.label(), true),
                choice("reprimand", SupervisionLevel::Reprimand.label(), false),
            ]
        };
        add(
            ActionRequest::Supervise {
                target: (*first).to_owned(),
                level: if leader {
                    SupervisionLevel::Named
                } else {
                    SupervisionLevel::Notice
                },
                note: String::new(),
            },
            ActionKind::Supervise,
            if leader { "挂牌督办" } else { "督办" },
            vec![
                select("target", "督办单位", targets()),
                select("level", "督办层级", levels),
                field("note", "督办要求", "textarea", false),
            ],
        );
    }
    candidates
        .into_iter()
        .filter(|(req, _)| {
            to_action(req.clone(), user, view, refdata, now, false)
                .ok()
                .is_some_and(|action| {
                    let event = Event {
                        id: "offer-check".into(),
                        author: user.login.clone(),
                        unit: user.unit.clone(),
                        node: node.to_owned(),
                        hlc: Hlc::at(now),
                        action,
                    };
                    state.check(&event).is_ok()
                })
        })
        .map(|(_, form)| form)
        .collect()
}

fn action_code(kind: ActionKind) -> String {
    super::format::code_of(kind)
}

/// Form fields that are booleans (a checkbox sends `true`, an unticked one nothing).
const BOOLS: [&str; 5] = ["accept", "founded", "solved", "publish", "final_assignment"];

/// The fields each action takes (the rest of a form, like `back`, is the page's).
fn known_fields(action: &str) -> &'static [&'static str] {
    match action {
        "review" => &["accept", "note"],
        "resubmit" => &["note"],
        "dispatch" => &["lead", "co", "note", "final_assignment"],
        "transfer" => &["to", "co", "note"],
        "return" => &["reason"],
        "request_extension" => &["days", "reason"],
        "approve_extension" => &["for_unit", "note"],
        "reject_extension" => &["for_unit", "reason"],
        "reply" => &["founded", "solved", "public_reply", "internal_note"],
        "review_result" => &["accept", "reason"],
        "callback" => &["satisfaction", "note"],
        "reopen" | "keep_closed" => &["reason"],
        "close" => &["publish", "note"],
        "merge" => &["master"],
        "urge" => &["target", "note"],
        "supervise" => &["target", "level", "note"],
        _ => &[],
    }
}

/// A posted action form as the API's request; `Err` says what is wrong, in Chinese.
pub fn to_request(pairs: &[(String, String)]) -> Result<ActionRequest, String> {
    let action = pairs
        .iter()
        .find(|(k, _)| k == "action")
        .map(|(_, v)| v.clone())
        .ok_or("缺少操作类型")?;
    let fields = known_fields(&action);
    let mut map = Map::new();
    map.insert("action".into(), Value::String(action.clone()));
    for name in fields {
        if BOOLS.contains(name) {
            let on = pairs.iter().any(|(k, v)| k == name && v == "true");
            map.insert((*name).into(), Value::Bool(on));
            continue;
        }
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .collect();
        match *name {
            "co" => {
                let units: Vec<Value> = values
                    .iter()
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String((*v).into()))
                    .collect();
                map.insert("co".into(), Value::Array(units));
            }
            "days" => {
                let n: u32 = values
                    .first()
                    .and_then(|v| v.parse().ok())
                    .ok_or("延期天数须为 1 到 30 的整数")?;
                map.insert("days".into(), Value::from(n));
            }
            _ => {
                if let Some(v) = values.first().filter(|v| !v.is_empty()) {
                    map.insert((*name).into(), Value::String((*v).into()));
                }
            }
        }
    }
    serde_json::from_value(Value::Object(map)).map_err(|e| {
        let missing = e.to_string();
        if missing.contains("missing field") {
            "请填写所有必填项".to_owned()
        } else {
            format!("表单内容有误：{missing}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn forms_become_the_apis_requests() {
        let r = to_request(&pairs(&[
            ("action", "dispatch"),
            ("lead", "B-ZJJ"),
            ("co", "D01"),
            ("co", "D02"),
            ("note", "请办理"),
            ("back", "/staff/queue"),
        ]))
        .expect("dispatch");
        assert!(matches!(
            r,
            ActionRequest::Dispatch { ref lead, ref co, final_assignment: false, .. }
                if lead == "B-ZJJ" && co.len() == 2
        ));
        let r = to_request(&pairs(&[
            ("action", "reply"),
            ("founded", "true"),
            ("public_reply", "已处理"),
        ]))
        .expect("reply");
        assert!(matches!(
            r,
            ActionRequest::Reply {
                founded: true,
                solved: false,
                ..
            }
        ));
        assert!(matches!(
            to_request(&pairs(&[
                ("action", "request_extension"),
                ("days", "3"),
                ("reason", "协调")
            ])),
            Ok(ActionRequest::RequestExtension { days: 3, .. })
        ));
        assert_eq!(
            to_request(&pairs(&[
                ("action", "request_extension"),
                ("days", "三"),
                ("reason", "x")
            ]))
            .unwrap_err(),
            "延期天数须为 1 到 30 的整数"
        );
        assert_eq!(
            to_request(&pairs(&[("action", "return")])).unwrap_err(),
            "请填写所有必填项"
        );
        assert!(to_request(&pairs(&[("action", "fly")])).is_err());
        assert!(to_request(&pairs(&[])).is_err());
    }
}
