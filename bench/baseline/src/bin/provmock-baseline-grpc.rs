//! A bare tonic server with provmock's gRPC shapes, the gRPC yardstick of bench/run.sh: Channel CreateCustomer,
//! GetCustomer and ListCustomers, and Yandex IdP UserService Create and Get, from the bench's own minimal protos
//! (`proto/`). Creates check the required fields and uniqueness under one lock, store the message and answer it.
//!
//! Usage: provmock-baseline-grpc PORT (h2c on 127.0.0.1)

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use prost::Message;
use provmock_baseline::channel::cloud_channel_service_server::{
    CloudChannelService, CloudChannelServiceServer,
};
use provmock_baseline::channel::{
    Contact, CreateCustomerRequest, Customer, GetCustomerRequest, ListCustomersRequest,
    ListCustomersResponse,
};
use provmock_baseline::idp::user_service_server::{UserService, UserServiceServer};
use provmock_baseline::idp::{
    CreateUserMetadata, CreateUserRequest, GetUserRequest, Operation, User,
};
use provmock_baseline::{Ids, LOWER_ALNUM};
use tonic::{Request, Response, Status};

const OPS_KEEP: usize = 10_000;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Default)]
struct ChannelStore {
    customers: BTreeMap<String, Customer>,
    domains: HashSet<String>,
    next: u64,
}

#[derive(Default)]
struct Channel(Mutex<ChannelStore>);

#[tonic::async_trait]
impl CloudChannelService for Channel {
    async fn create_customer(
        &self,
        r: Request<CreateCustomerRequest>,
    ) -> Result<Response<Customer>, Status> {
        let r = r.into_inner();
        let Some(mut c) = r.customer else {
            return Err(Status::invalid_argument("customer is required"));
        };
        let addr_ok = c
            .org_postal_address
            .as_ref()
            .is_some_and(|a| !a.region_code.is_empty() && !a.address_lines.is_empty());
        if c.domain.is_empty()
            || c.org_display_name.is_empty()
            || !addr_ok
            || !r.parent.starts_with("accounts/")
        {
            return Err(Status::invalid_argument(
                "parent, domain, orgDisplayName and orgPostalAddress are required",
            ));
        }
        let now = prost_types::Timestamp::from(SystemTime::now());
        let mut st = lock(&self.0);
        if !st.domains.insert(c.domain.clone()) {
            return Err(Status::already_exists(format!("{} exists", c.domain)));
        }
        st.next += 1;
        c.name = format!("{}/customers/S0{:012}", r.parent, st.next);
        c.create_time = Some(now);
        c.update_time = Some(now);
        st.customers.insert(c.name.clone(), c.clone());
        Ok(Response::new(c))
    }

    async fn get_customer(
        &self,
        r: Request<GetCustomerRequest>,
    ) -> Result<Response<Customer>, Status> {
        let st = lock(&self.0);
        st.customers
            .get(&r.get_ref().name)
            .cloned()
            .map(Response::new)
            .ok_or_else(|| Status::not_found("no such customer"))
    }

    async fn list_customers(
        &self,
        r: Request<ListCustomersRequest>,
    ) -> Result<Response<ListCustomersResponse>, Status> {
        let r = r.into_inner();
        let size = if r.page_size <= 0 {
            50
        } else {
            r.page_size.min(50) as usize
        };
        let prefix = format!("{}/customers/", r.parent);
        let from = format!("{prefix}{}", r.page_token);
        let st = lock(&self.0);
        let mut it = st
            .customers
            .range::<String, _>((Bound::Excluded(&from), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix));
        let customers: Vec<Customer> = it.by_ref().take(size).map(|(_, v)| v.clone()).collect();
        let next_page_token = match (it.next(), customers.last()) {
            (Some(_), Some(last)) => last.name[prefix.len()..].to_string(),
            _ => String::new(),
        };
        Ok(Response::new(ListCustomersResponse {
            customers,
            next_page_token,
        }))
    }
}

#[derive(Default)]
struct IdpStore {
    users: HashMap<String, User>,
    usernames: HashSet<String>,
    ops: VecDeque<Operation>,
    ids: Ids,
}

#[derive(Default)]
struct Idp(Mutex<IdpStore>);

const POOL: &str = "ek0provmockpool00001";

fn any<M: Message>(type_name: &str, m: &M) -> prost_types::Any {
    prost_types::Any {
        type_url: format!("type.googleapis.com/{type_name}"),
        value: m.encode_to_vec(),
    }
}

#[tonic::async_trait]
impl UserService for Idp {
    async fn create(&self, r: Request<CreateUserRequest>) -> Result<Response<Operation>, Status> {
        let r = r.into_inner();
        let password = r.password_spec.as_ref().map_or(0, |p| p.password.len());
        if r.userpool_id != POOL || r.username.is_empty() || r.username.len() > 256 || password < 8
        {
            return Err(Status::invalid_argument(
                "userpool_id, username and password_spec are required",
            ));
        }
        let now = Some(prost_types::Timestamp::from(SystemTime::now()));
        let mut st = lock(&self.0);
        if !st.usernames.insert(r.username.to_ascii_lowercase()) {
            return Err(Status::already_exists("username exists"));
        }
        let id = format!("aje{}", st.ids.draw(LOWER_ALNUM, 17));
        let op_id = format!("idp{}", st.ids.draw(LOWER_ALNUM, 17));
        let user = User {
            id: id.clone(),
            userpool_id: r.userpool_id,
            status: 1,
            username: r.username,
            full_name: r.full_name,
            created_at: now,
            updated_at: now,
            password_created_at: now,
        };
        let op = Operation {
            id: op_id,
            description: "Create user".into(),
            created_at: now,
            created_by: String::new(),
            modified_at: now,
            done: true,
            metadata: Some(any(
                "yandex.cloud.organizationmanager.v1.idp.CreateUserMetadata",
                &CreateUserMetadata {
                    user_id: id.clone(),
                },
            )),
            response: Some(any("yandex.cloud.organizationmanager.v1.idp.User", &user)),
        };
        st.users.insert(id, user);
        st.ops.push_back(op.clone());
        if st.ops.len() > OPS_KEEP {
            st.ops.pop_front();
        }
        Ok(Response::new(op))
    }

    async fn get(&self, r: Request<GetUserRequest>) -> Result<Response<User>, Status> {
        let st = lock(&self.0);
        st.users
            .get(&r.get_ref().user_id)
            .cloned()
            .map(Response::new)
            .ok_or_else(|| Status::not_found("no such user"))
    }
}

/// The default world's customer, so GetCustomer moves the same bytes on both servers.
fn seeded() -> Channel {
    let ch = Channel::default();
    let name = "accounts/C01234567/customers/S0NEWCUSTOMER1".to_string();
    let t = Some(prost_types::Timestamp {
        seconds: 1_767_225_600,
        nanos: 0,
    });
    let c = Customer {
        name: name.clone(),
        org_display_name: "Example Org (not yet provisioned)".into(),
        org_postal_address: Some(provmock_baseline::channel::Address {
            region_code: "US".into(),
            postal_code: "94105".into(),
            address_lines: vec!["1 Market St".into()],
        }),
        primary_contact_info: Some(Contact {
            first_name: "Pat".into(),
            last_name: "Lee".into(),
            display_name: "Pat Lee".into(),
            email: "pat@example.org".into(),
        }),
        domain: "example.org".into(),
        create_time: t,
        update_time: t,
        language_code: "en-US".into(),
    };
    {
        let mut st = lock(&ch.0);
        st.domains.insert(c.domain.clone());
        st.customers.insert(name, c);
    }
    ch
}

#[tokio::main]
async fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "18092".into());
    let listener = match tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("baseline-grpc: cannot listen on {port}: {e}");
            std::process::exit(1);
        }
    };
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let served = tonic::transport::Server::builder()
        .add_service(CloudChannelServiceServer::new(seeded()))
        .add_service(UserServiceServer::new(Idp::default()))
        .serve_with_incoming(incoming)
        .await;
    if let Err(e) = served {
        eprintln!("baseline-grpc: {e}");
    }
}
