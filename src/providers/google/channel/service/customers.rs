//! The customer methods proper: list (with its filter), get, create, patch (with its update mask) and delete.
//! Each takes its request parsed (`TryFrom` the proto, outside the lock) and a [`Ctx`].

use pbjson_types::FieldMask;

use super::access::{authorize, check_parent_exists};
use super::validate::validate_customer;
use crate::error::{ApiError, ApiResult};
use crate::paging;
use crate::proto::google::cloud::channel::v1 as pb;
use crate::providers::Ctx;
use crate::providers::google::channel::filter::{self, Filter, Subject};
use crate::providers::google::names::{CustomerName, Parent};
use crate::world::google::Customer;
use crate::world::messages::{customer_not_found, customer_proto};

/// A parsed `ListCustomers`. The filter is parsed here too, but its error is answered after the caller is
/// authorized and the page size checked, as it always was.
pub struct ListCustomers {
    pub parent: Parent,
    pub page_size: i32,
    pub page_token: String,
    pub filter_text: String,
    pub filter: ApiResult<Option<Filter>>,
}

impl TryFrom<pb::ListCustomersRequest> for ListCustomers {
    type Error = ApiError;
    fn try_from(req: pb::ListCustomersRequest) -> ApiResult<ListCustomers> {
        Ok(ListCustomers {
            parent: Parent::parse(&req.parent, "parent")?,
            page_size: req.page_size,
            page_token: req.page_token,
            filter: filter::parse(&req.filter),
            filter_text: req.filter,
        })
    }
}

pub fn list_customers(
    ctx: &mut Ctx<'_>,
    req: ListCustomers,
) -> ApiResult<pb::ListCustomersResponse> {
    let parent = req.parent;
    authorize(ctx, &parent.account)?;
    let size = paging::page_size(i64::from(req.page_size), 10, 50, "pageSize")?;
    let filter = req.filter?;
    let fp = paging::fingerprint(&[&parent.name(), &req.filter_text]);
    let prefix = format!("{}/", parent.customers());
    let start = if req.page_token.is_empty() {
        prefix.clone()
    } else {
        paging::decode(&req.page_token, &fp, "pageToken")?
    };

    let st = &*ctx.st;
    check_parent_exists(st, &parent)?;
    let g = &st.world.google;
    let in_parent = paging::after(&g.customers, start)
        .take_while(|(name, _)| name.starts_with(&prefix))
        .map(|(name, c)| (name, &**c));
    let keep = |name: &str, c: &Customer| {
        !name[prefix.len()..].contains('/')
            && filter.as_ref().is_none_or(|f| {
                f.matches(&Subject {
                    domain: &c.domain,
                    org_display_name: &c.org_display_name,
                    cloud_identity_id: c.cloud_identity_id.as_deref().unwrap_or(""),
                    channel_partner_id: &c.channel_partner_id,
                })
            })
    };
    let (customers, next_page_token) =
        paging::take_page(in_parent, size, &fp, keep, |c| customer_proto(g, c));
    Ok(pb::ListCustomersResponse {
        customers,
        next_page_token,
    })
}

/// A parsed `GetCustomer` or `DeleteCustomer`: the customer's name.
pub struct ByName {
    pub name: CustomerName,
}

impl TryFrom<pb::GetCustomerRequest> for ByName {
    type Error = ApiError;
    fn try_from(req: pb::GetCustomerRequest) -> ApiResult<ByName> {
        Ok(ByName {
            name: CustomerName::parse(req.name, "name")?,
        })
    }
}

impl TryFrom<pb::DeleteCustomerRequest> for ByName {
    type Error = ApiError;
    fn try_from(req: pb::DeleteCustomerRequest) -> ApiResult<ByName> {
        Ok(ByName {
            name: CustomerName::parse(req.name, "name")?,
        })
    }
}

pub fn get_customer(ctx: &mut Ctx<'_>, req: ByName) -> ApiResult<pb::Customer> {
    authorize(ctx, req.name.account())?;
    let g = &ctx.st.world.google;
    let c = g
        .customers
        .get(req.name.as_str())
        .ok_or_else(|| customer_not_found(req.name.as_str()))?;
    Ok(customer_proto(g, c))
}

/// A parsed `CreateCustomer`: the customer's data is checked once the caller is authorized.
pub struct CreateCustomer {
    pub parent: Parent,
    pub customer: Option<pb::Customer>,
}

impl TryFrom<pb::CreateCustomerRequest> for CreateCustomer {
    type Error = ApiError;
    fn try_from(req: pb::CreateCustomerRequest) -> ApiResult<CreateCustomer> {
        Ok(CreateCustomer {
            parent: Parent::parse(&req.parent, "parent")?,
            customer: req.customer,
        })
    }
}

pub fn create_customer(ctx: &mut Ctx<'_>, req: CreateCustomer) -> ApiResult<pb::Customer> {
    let parent = req.parent;
    authorize(ctx, &parent.account)?;
    let input = req
        .customer
        .ok_or_else(|| ApiError::invalid_field("customer", "is required"))?;
    validate_customer(&input)?;
    let now = ctx.now;
    let st = &mut *ctx.st;
    check_parent_exists(st, &parent)?;
    if let Some(existing) = st
        .world
        .google
        .customer_by_domain(&parent.name(), &input.domain)
    {
        return Err(ApiError::already_exists(format!(
            "a customer with domain `{}` already exists under `{}`: `{}`",
            input.domain,
            parent.name(),
            existing.name
        ))
        .with_reason("CUSTOMER_ALREADY_EXISTS"));
    }
    let channel_partner_id = parent.link.clone().unwrap_or(input.channel_partner_id);
    let customer = Customer {
        name: String::new(),
        org_display_name: input.org_display_name,
        org_postal_address: input.org_postal_address.unwrap_or_default(),
        primary_contact_info: input.primary_contact_info,
        alternate_email: input.alternate_email,
        domain: input.domain,
        create_time: now,
        update_time: now,
        cloud_identity_id: None,
        language_code: input.language_code,
        channel_partner_id,
        correlation_id: input.correlation_id,
        customer_attestation_state: input.customer_attestation_state,
        provisioning_operation: None,
    };
    // A new customer has no Cloud Identity yet, so it renders the same before it is stored; only its name is drawn.
    let mut out = customer_proto(&st.world.google, &customer);
    let customers = parent.customers();
    // guess: customer ids look like `S0` and 12 upper-case letters or digits (`Ids::customer_id`).
    out.name = st
        .world
        .google
        .insert_new_customer(customer, || format!("{customers}/{}", st.ids.customer_id()));
    Ok(out)
}

/// `updateMask` paths (camelCase or snake_case) that may be updated.
const UPDATABLE: &[&str] = &[
    "org_display_name",
    "org_postal_address",
    "primary_contact_info",
    "alternate_email",
    "domain",
    "language_code",
    "channel_partner_id",
    "correlation_id",
    "customer_attestation_state",
];
const OUTPUT_ONLY: &[&str] = &[
    "name",
    "create_time",
    "update_time",
    "cloud_identity_id",
    "cloud_identity_info",
];

/// A parsed `UpdateCustomer`: the customer (required) and its name.
pub struct UpdateCustomer {
    pub name: CustomerName,
    pub customer: pb::Customer,
    pub update_mask: Option<FieldMask>,
}

impl TryFrom<pb::UpdateCustomerRequest> for UpdateCustomer {
    type Error = ApiError;
    fn try_from(req: pb::UpdateCustomerRequest) -> ApiResult<UpdateCustomer> {
        let customer = req
            .customer
            .ok_or_else(|| ApiError::invalid_field("customer", "is required"))?;
        Ok(UpdateCustomer {
            name: CustomerName::parse(customer.name.clone(), "customer.name")?,
            customer,
            update_mask: req.update_mask,
        })
    }
}

pub fn update_customer(ctx: &mut Ctx<'_>, req: UpdateCustomer) -> ApiResult<pb::Customer> {
    let input = req.customer;
    authorize(ctx, req.name.account())?;
    // guess: without an updateMask every updatable field present (non-empty) in the body is updated, so a client
    // that forgets the mask cannot blank fields it did not send.
    let paths: Vec<String> = match &req.update_mask {
        Some(m) if !m.paths.is_empty() => m
            .paths
            .iter()
            .map(|p| crate::providers::google::snake_case(p))
            .collect(),
        _ => {
            let mut p = Vec::new();
            let present = [
                ("org_display_name", !input.org_display_name.is_empty()),
                ("org_postal_address", input.org_postal_address.is_some()),
                ("primary_contact_info", input.primary_contact_info.is_some()),
                ("alternate_email", !input.alternate_email.is_empty()),
                ("domain", !input.domain.is_empty()),
                ("language_code", !input.language_code.is_empty()),
                ("channel_partner_id", !input.channel_partner_id.is_empty()),
                ("correlation_id", !input.correlation_id.is_empty()),
                (
                    "customer_attestation_state",
                    input.customer_attestation_state != 0,
                ),
            ];
            for (k, yes) in present {
                if yes {
                    p.push(k.to_string());
                }
            }
            p
        }
    };
    for p in &paths {
        let top = p.split('.').next().unwrap_or("");
        if OUTPUT_ONLY.contains(&top) {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!("`{p}` is output only and cannot be updated"),
            ));
        }
        if !UPDATABLE.contains(&top) {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!("unknown field path `{p}` in update mask"),
            ));
        }
    }

    let now = ctx.now;
    let st = &mut *ctx.st;
    let current = st
        .world
        .google
        .customers
        .get(&input.name)
        .cloned()
        .ok_or_else(|| customer_not_found(&input.name))?;
    let mut next = customer_proto(&st.world.google, &current);
    for p in &paths {
        apply_path(&mut next, &input, p)?;
    }
    validate_customer(&next)?;
    if !next.domain.eq_ignore_ascii_case(&current.domain) {
        if current.cloud_identity_id.is_some() {
            return Err(ApiError::failed_precondition(format!(
                "the domain of `{}` cannot change: it is linked to Cloud Identity `{}`",
                current.name,
                current.cloud_identity_id.as_deref().unwrap_or("")
            )));
        }
        if let Some(other) = st
            .world
            .google
            .customer_by_domain(current.parent(), &next.domain)
        {
            return Err(ApiError::already_exists(format!(
                "a customer with domain `{}` already exists: `{}`",
                next.domain, other.name
            )));
        }
    }
    let updated = Customer {
        org_display_name: next.org_display_name,
        org_postal_address: next.org_postal_address.unwrap_or_default(),
        primary_contact_info: next.primary_contact_info.map(|mut c| {
            c.display_name.clear();
            c
        }),
        alternate_email: next.alternate_email,
        domain: next.domain,
        language_code: next.language_code,
        channel_partner_id: next.channel_partner_id,
        correlation_id: next.correlation_id,
        customer_attestation_state: next.customer_attestation_state,
        update_time: now,
        ..*current
    };
    let out = customer_proto(&st.world.google, &updated);
    st.world.google.put_customer(updated);
    Ok(out)
}

/// Copies one mask path (snake_case, possibly nested one level) from `src` into `dst`.
fn apply_path(dst: &mut pb::Customer, src: &pb::Customer, path: &str) -> ApiResult<()> {
    let (top, sub) = match path.split_once('.') {
        Some((t, s)) => (t, Some(s)),
        None => (path, None),
    };
    match (top, sub) {
        ("org_display_name", None) => dst.org_display_name = src.org_display_name.clone(),
        ("alternate_email", None) => dst.alternate_email = src.alternate_email.clone(),
        ("domain", None) => dst.domain = src.domain.clone(),
        ("language_code", None) => dst.language_code = src.language_code.clone(),
        ("channel_partner_id", None) => dst.channel_partner_id = src.channel_partner_id.clone(),
        ("correlation_id", None) => dst.correlation_id = src.correlation_id.clone(),
        ("customer_attestation_state", None) => {
            dst.customer_attestation_state = src.customer_attestation_state
        }
        ("org_postal_address", None) => dst.org_postal_address = src.org_postal_address.clone(),
        ("primary_contact_info", None) => {
            dst.primary_contact_info = src.primary_contact_info.clone()
        }
        ("org_postal_address", Some(f)) => {
            let s = src.org_postal_address.clone().unwrap_or_default();
            let d = dst.org_postal_address.get_or_insert_with(Default::default);
            match f {
                "region_code" => d.region_code = s.region_code,
                "language_code" => d.language_code = s.language_code,
                "postal_code" => d.postal_code = s.postal_code,
                "sorting_code" => d.sorting_code = s.sorting_code,
                "administrative_area" => d.administrative_area = s.administrative_area,
                "locality" => d.locality = s.locality,
                "sublocality" => d.sublocality = s.sublocality,
                "address_lines" => d.address_lines = s.address_lines,
                "recipients" => d.recipients = s.recipients,
                "organization" => d.organization = s.organization,
                _ => {
                    return Err(ApiError::invalid_field(
                        "updateMask",
                        format!("unknown field path `{path}` in update mask"),
                    ));
                }
            }
        }
        ("primary_contact_info", Some(f)) => {
            let s = src.primary_contact_info.clone().unwrap_or_default();
            let d = dst
                .primary_contact_info
                .get_or_insert_with(Default::default);
            match f {
                "first_name" => d.first_name = s.first_name,
                "last_name" => d.last_name = s.last_name,
                "email" => d.email = s.email,
                "title" => d.title = s.title,
                "phone" => d.phone = s.phone,
                _ => {
                    return Err(ApiError::invalid_field(
                        "updateMask",
                        format!("unknown field path `{path}` in update mask"),
                    ));
                }
            }
        }
        _ => {
            return Err(ApiError::invalid_field(
                "updateMask",
                format!("unknown field path `{path}` in update mask"),
            ));
        }
    }
    Ok(())
}

pub fn delete_customer(ctx: &mut Ctx<'_>, req: ByName) -> ApiResult<()> {
    authorize(ctx, req.name.account())?;
    let name = req.name.as_str();
    let st = &mut *ctx.st;
    let c = st
        .world
        .google
        .customers
        .get(name)
        .ok_or_else(|| customer_not_found(name))?;
    if let Some(op) = &c.provisioning_operation {
        return Err(ApiError::failed_precondition(format!(
            "customer `{}` cannot be deleted while operation `{op}` provisions its Cloud Identity",
            name
        ))
        .with_precondition(
            "PROVISIONING",
            name.to_string(),
            "a Cloud Identity is being provisioned",
        ));
    }
    if let Some((e, _)) = st.world.google.orders.of_customer(name).next() {
        return Err(ApiError::failed_precondition(format!(
            "customer `{}` still has entitlement `{e}`; cancel or transfer its entitlements first",
            name
        ))
        .with_precondition(
            "ENTITLEMENTS_EXIST",
            name.to_string(),
            "the customer has entitlements",
        ));
    }
    st.world.google.remove_customer(name);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn update_mask_paths_become_snake_case() {
        assert_eq!(
            crate::providers::google::snake_case("orgPostalAddress.regionCode"),
            "org_postal_address.region_code"
        );
        assert_eq!(crate::providers::google::snake_case("domain"), "domain");
    }
}
