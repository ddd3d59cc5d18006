//! Work orders: registering one, reading it as a user may see it (every access to personal data
//! audited first), listing the orders a user may list, and taking a workflow action on one. The
//! JSON API, the staff pages, the citizens' website and Open311 call these.

pub mod ask;

use hotline_model::event::{Action, ActionKind};
use hotline_model::intake::Intake;
use hotline_model::privacy::{mask_name, mask_phone};
use hotline_model::role::User;
use hotline_model::ticket::TicketView;
use rand::RngCore;
use replica_store::audit::AuditEntry;
use replica_store::{NewEvent, NewTicket, TicketFilter, TicketSummary};
use serde::Deserialize;

use crate::Hotline;
use crate::OpError;
pub use ask::{ActionRequest, check_role, to_action};

/// `POST /api/tickets` body.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// What the citizen told us.
    pub intake: Intake,
    /// If given, the order is answered at once from the knowledge base (直接办结).
    #[serde(default)]
    pub answer: Option<String>,
    /// The citizen's message (`GET /api/drafts`) this order registers: it leaves the queue, and
    /// the citizen is sent the number and query code by the channel they wrote in.
    #[serde(default)]
    pub draft: Option<i64>,
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Registers an order for `user` (the API and the intake page).
pub async fn register(
    state: &Hotline,
    user: &User,
    req: CreateRequest,
) -> Result<replica_store::Created, OpError> {
    let refdata = state.refdata();
    check_role(user, &Action::Created)?;
    let mut intake = req.intake.normalized();
    if refdata.catalogue.subject(&intake.subject).is_none() {
        return Err(OpError::unknown("subject", &intake.subject));
    }
    // The area (所属区域) as chosen, or read from the address.
    if intake.area.is_empty() {
        intake.area = hotline_model::topics::area_of(&refdata.org, &intake.address);
    } else {
        hotline_model::topics::check_area(&refdata.org, &intake.area)
            .map_err(OpError::bad_request)?;
    }
    let mut then = Vec::new();
    if let Some(answer) = req.answer {
        let action = Action::AnswerDirectly { answer };
        check_role(user, &action)?;
        then.push((new_uuid(), action));
    }
    let draft = match req.draft {
        Some(id) => Some(crate::drafts::waiting_draft(state, user, id).await?),
        None => None,
    };
    let phone = intake.caller_phone.clone();
    let mut random = [0u8; 24];
    rand::rng().fill_bytes(&mut random);
    let created = state
        .store
        .create_ticket(NewTicket {
            intake,
            author: user.login.clone(),
            unit: user.unit.clone(),
            now_ms: state.now(),
            random,
            then,
        })
        .await?;
    tracing::info!(number = %created.ticket.number, by = %user.login, "ticket registered");
    if created.ticket.intake.call_id.is_some() {
        // The call's recording, when the telephony delivered it before the order was registered.
        if let Err(e) = crate::files::name_call_recording(state, &created.ticket).await {
            tracing::warn!(number = %created.ticket.number, error = %e.message, "call recording not named");
        }
    }
    if let Some(m) = draft {
        // The order stands even if another operator settled the draft meanwhile.
        if let Err(e) = crate::drafts::registered(
            state,
            user,
            &m,
            &created.ticket.number,
            &created.query_code,
            &phone,
        )
        .await
        {
            tracing::warn!(draft = m.id, error = %e.message, "draft not settled");
        }
    }
    Ok(created)
}

/// Whether `user` sees the reporter of `view` masked: a confidential order's reporter is hidden
/// from handling units, and roles that never contact callers see no one's contact details.
fn reporter_masked(view: &TicketView, user: &User) -> bool {
    (view.intake.confidential && !user.role.is_centre())
        || !hotline_model::privacy::needs_contact(user.role)
}

/// What a user may see of a ticket.
fn for_viewer(mut view: TicketView, user: &User) -> TicketView {
    if reporter_masked(&view, user) {
        view.intake.caller_name = mask_name(&view.intake.caller_name);
        view.intake.caller_phone = mask_phone(&view.intake.caller_phone);
    }
    view
}

/// An order as `user` may see it, its access recorded first (the API and the order page).
pub async fn view(state: &Hotline, user: &User, key: &str) -> Result<TicketView, OpError> {
    let key = key.to_owned();
    let view = state
        .store
        .ticket(key.clone())
        .await?
        .ok_or_else(|| OpError::not_found(&key))?;
    if !may_see(state, user, &view) {
        return Err(OpError::forbidden(
            "无权查看该工单：它不属于本单位及下级单位",
        ));
    }
    let masked = reporter_masked(&view, user);
    let view = for_viewer(view, user);
    // Who saw a citizen's personal data is recorded before it is shown.
    let detail = if masked {
        "address (caller name and phone masked)"
    } else {
        "caller_name, caller_phone, address"
    };
    record_access(state, user, "view_ticket", &view.number, detail).await?;
    Ok(view)
}

/// Writes an access to personal data to the audit log; resolves once it is durable.
pub async fn record_access(
    state: &Hotline,
    user: &hotline_model::role::User,
    action: &str,
    ticket: &str,
    detail: &str,
) -> Result<(), OpError> {
    state
        .store
        .audit(AuditEntry {
            seq: 0,
            at_ms: state.now(),
            actor: user.login.clone(),
            action: action.into(),
            ticket: ticket.into(),
            detail: detail.into(),
        })
        .await?;
    Ok(())
}

/// Centre staff see every order; a member unit's staff see the orders their unit or one of its
/// sub-units registered or holds a part of.
pub fn may_see(state: &Hotline, user: &User, view: &TicketView) -> bool {
    if user.role.is_centre() {
        return true;
    }
    let org = &state.refdata().org;
    view.state
        .scope_units()
        .iter()
        .any(|u| org.is_within(u, &user.unit))
}

/// A page of the orders `user` may list, and the `after` of the next page when more may follow
/// (the API and the pages' lists).
pub async fn list_for(
    state: &Hotline,
    user: &User,
    filter: TicketFilter,
) -> Result<(Vec<TicketSummary>, Option<String>), OpError> {
    let (page, next, _) = list_counted(state, user, filter, Vec::new()).await?;
    Ok((page, next))
}

/// [`list_for`], with how many orders of each of `statuses` the same user sees in the list's
/// unit (the tabs of a page), read together in one store read.
pub async fn list_counted(
    state: &Hotline,
    user: &User,
    mut filter: TicketFilter,
    statuses: Vec<&'static str>,
) -> Result<ListPage, OpError> {
    if !user.role.is_centre() {
        // A member unit lists its own subtree's orders only, and never searches by phone.
        if filter.phone.is_some() {
            return Err(OpError::forbidden("只有中心人员可以按来电号码查询工单"));
        }
        let refdata = state.refdata();
        if let Some(u) = &filter.unit
            && !refdata.org.is_within(u, &user.unit)
        {
            return Err(OpError::forbidden("只能查询本单位及下级单位的工单"));
        }
        filter.within = Some(user.unit.clone());
    }
    if let Some(s) = &filter.status
        && hotline_model::workflow::Status::parse(s).is_none()
    {
        return Err(OpError::unknown("status", s));
    }
    if let Some(phone) = &filter.phone {
        // Looking a caller up by phone is an access to personal data: recorded first.
        record_access(state, user, "search_phone", "", phone).await?;
    }
    let count_unit = filter.unit.clone().or(filter.within.clone());
    let (page, counts) = state
        .store
        .list_and_count(filter.clone(), count_unit, statuses)
        .await?;
    let full = page.len() == filter.limit.unwrap_or(50).clamp(1, 500) as usize;
    let next = page
        .last()
        .filter(|_| full)
        .map(|last| replica_store::projection::next_cursor(&filter, last));
    Ok((page, next, counts))
}

/// A page of orders, the `after` of the next page, and the counts asked for.
pub type ListPage = (Vec<TicketSummary>, Option<String>, Vec<(String, i64)>);

/// Takes a workflow action on an order as `user` (the API and the pages' forms).
pub async fn act_on(
    state: &Hotline,
    user: &User,
    key: &str,
    req: ActionRequest,
) -> Result<TicketView, OpError> {
    let key = key.to_owned();
    let view = state
        .store
        .ticket(key.clone())
        .await?
        .ok_or_else(|| OpError::not_found(&key))?;
    let master_exists = match &req {
        ActionRequest::Merge { master } => state.store.ticket(master.clone()).await?.is_some(),
        _ => false,
    };
    let now = state.now();
    let action = to_action(req, user, &view, &state.refdata(), now, master_exists)?;
    let kind: ActionKind = action.kind();
    let updated = state
        .store
        .apply(
            view.id.clone(),
            NewEvent {
                id: new_uuid(),
                author: user.login.clone(),
                unit: user.unit.clone(),
                action,
                now_ms: now,
            },
        )
        .await?;
    tracing::info!(number = %updated.number, action = ?kind, by = %user.login, "workflow action");
    Ok(for_viewer(updated, user))
}
