//! A DNS server on loopback (hickory-server, UDP and TCP on the same port) that
//! answers a fixed test zone, and a silent one that never answers.
//!
//! The zone (every other name is NXDOMAIN):
//!
//! | name            | answer                                      |
//! |-----------------|---------------------------------------------|
//! | `good.test`     | A 127.0.0.1                                 |
//! | `v6.test`       | AAAA ::1                                    |
//! | `dual.test`     | A 127.0.0.1, AAAA ::1                       |
//! | `alias.test`    | CNAME `good.test.`, then A 127.0.0.1        |
//! | `nxdomain.test` | NXDOMAIN                                    |
//! | `nodata.test`   | NOERROR, no A/AAAA (it only has a TXT)      |
//! | `servfail.test` | SERVFAIL                                    |
//! | `refused.test`  | REFUSED                                     |
//! | `api.example.test` | A 127.0.0.1                              |
//! | `*.corp.example` | A 127.0.0.2 (a wildcard under a search domain) |

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket as StdUdpSocket};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, SOA, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use hickory_server::Server;
use tokio::sync::oneshot;

/// The answer our zone gives for one question.
enum Answer {
    Records(Vec<Record>),
    Rcode(ResponseCode),
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("dns name")
}

fn zone_answer(qname: &str, qtype: RecordType) -> Answer {
    let a = |owner: &str| Record::from_rdata(name(owner), 60, RData::A(A(Ipv4Addr::LOCALHOST)));
    let aaaa =
        |owner: &str| Record::from_rdata(name(owner), 60, RData::AAAA(AAAA(Ipv6Addr::LOCALHOST)));
    let only = |want: RecordType, record: Record| {
        if qtype == want || qtype == RecordType::ANY {
            vec![record]
        } else {
            Vec::new()
        }
    };
    match qname {
        "good.test" => Answer::Records(only(RecordType::A, a("good.test."))),
        "v6.test" => Answer::Records(only(RecordType::AAAA, aaaa("v6.test."))),
        "dual.test" => {
            let mut records = only(RecordType::A, a("dual.test."));
            records.extend(only(RecordType::AAAA, aaaa("dual.test.")));
            Answer::Records(records)
        }
        "alias.test" => {
            let mut records = vec![Record::from_rdata(
                name("alias.test."),
                60,
                RData::CNAME(CNAME(name("good.test."))),
            )];
            records.extend(only(RecordType::A, a("good.test.")));
            Answer::Records(records)
        }
        "nodata.test" => Answer::Records(only(
            RecordType::TXT,
            Record::from_rdata(
                name("nodata.test."),
                60,
                RData::TXT(TXT::new(vec!["v=test no address here".to_owned()])),
            ),
        )),
        "api.example.test" => Answer::Records(only(RecordType::A, a("api.example.test."))),
        wild if wild.ends_with(".corp.example") => {
            let record = Record::from_rdata(
                name(&format!("{wild}.")),
                60,
                RData::A(A(Ipv4Addr::new(127, 0, 0, 2))),
            );
            Answer::Records(only(RecordType::A, record))
        }
        "servfail.test" => Answer::Rcode(ResponseCode::ServFail),
        "refused.test" => Answer::Rcode(ResponseCode::Refused),
        _ => Answer::Rcode(ResponseCode::NXDomain),
    }
}

fn soa_record() -> Record {
    Record::from_rdata(
        name("test."),
        60,
        RData::SOA(SOA::new(
            name("ns.test."),
            name("hostmaster.test."),
            1,
            3600,
            600,
            86400,
            60,
        )),
    )
}

/// The names asked so far, as `name TYPE`.
pub type QueryLog = Arc<Mutex<Vec<String>>>;

struct Zone {
    log: QueryLog,
}

#[async_trait::async_trait]
impl RequestHandler for Zone {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let builder = MessageResponseBuilder::from_message_request(request);
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        metadata.recursion_available = true;

        let Ok(info) = request.request_info() else {
            let response = builder.error_msg(&request.metadata, ResponseCode::FormErr);
            return send(&mut response_handle, response, metadata).await;
        };
        let qname = info
            .query
            .name()
            .to_string()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let qtype = info.query.query_type();
        self.log.lock().unwrap().push(format!("{qname} {qtype}"));

        let soa = [soa_record()];
        match zone_answer(&qname, qtype) {
            Answer::Records(records) => {
                metadata.response_code = ResponseCode::NoError;
                let negative: &[Record] = if records.is_empty() { &soa } else { &[] };
                let response = builder.build(metadata, records.iter(), [], negative.iter(), []);
                send(&mut response_handle, response, metadata).await
            }
            Answer::Rcode(rcode) => {
                metadata.response_code = rcode;
                let negative: &[Record] = if rcode == ResponseCode::NXDomain {
                    &soa
                } else {
                    &[]
                };
                let response = builder.build(metadata, [], [], negative.iter(), []);
                send(&mut response_handle, response, metadata).await
            }
        }
    }
}

async fn send<'a, R: ResponseHandler>(
    handle: &mut R,
    response: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    metadata: Metadata,
) -> ResponseInfo {
    if let Ok(info) = handle.send_response(response).await {
        info
    } else {
        let mut metadata = metadata;
        metadata.response_code = ResponseCode::ServFail;
        ResponseInfo::from(Header {
            metadata,
            counts: HeaderCounts::default(),
        })
    }
}

/// The test zone served over UDP and TCP on `127.0.0.1:PORT`.
pub struct DnsServer {
    addr: SocketAddr,
    log: QueryLog,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Bind UDP and TCP on the same free loopback port.
fn bind_udp_and_tcp() -> (StdUdpSocket, std::net::TcpListener) {
    for _ in 0..50 {
        let udp = StdUdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let addr = udp.local_addr().expect("udp addr");
        if let Ok(tcp) = std::net::TcpListener::bind(addr) {
            return (udp, tcp);
        }
    }
    panic!("no loopback port free for both UDP and TCP");
}

impl DnsServer {
    /// Start the server.
    pub fn start() -> DnsServer {
        let (udp, tcp) = bind_udp_and_tcp();
        let addr = udp.local_addr().expect("udp addr");
        udp.set_nonblocking(true).expect("nonblocking");
        tcp.set_nonblocking(true).expect("nonblocking");
        let log = QueryLog::default();
        let zone = Zone { log: log.clone() };
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let mut server = Server::new(zone);
                server.register_socket(tokio::net::UdpSocket::from_std(udp).expect("udp"));
                server.register_listener(
                    tokio::net::TcpListener::from_std(tcp).expect("tcp"),
                    Duration::from_secs(5),
                    32,
                );
                let _ = rx.await;
                let _ = server.shutdown_gracefully().await;
            });
        });
        DnsServer {
            addr,
            log,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// The server's address (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`, the `--resolver` argument.
    pub fn resolver_arg(&self) -> String {
        self.addr.to_string()
    }

    /// The questions received so far, as `name TYPE`.
    pub fn queries(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A UDP "DNS server" that receives queries and never answers.
pub struct SilentDns {
    socket: StdUdpSocket,
}

impl SilentDns {
    /// Bind it. Queries queue up in the socket and are never read or answered.
    pub fn start() -> SilentDns {
        SilentDns {
            socket: StdUdpSocket::bind("127.0.0.1:0").expect("bind udp"),
        }
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("udp addr")
    }

    /// `127.0.0.1:PORT`, the `--resolver` argument.
    pub fn resolver_arg(&self) -> String {
        self.addr().to_string()
    }
}

#[cfg(test)]
mod tests {
    use hickory_server::proto::op::{Message, Query};

    use super::*;

    fn ask(server: SocketAddr, qname: &str, qtype: RecordType) -> Option<Message> {
        let socket = StdUdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(700)))
            .unwrap();
        let mut query = Message::query();
        query.add_query(Query::query(name(qname), qtype));
        query.metadata.recursion_desired = true;
        socket.send_to(&query.to_vec().unwrap(), server).unwrap();
        let mut buf = [0u8; 4096];
        let (n, _) = socket.recv_from(&mut buf).ok()?;
        let answer = Message::from_vec(&buf[..n]).unwrap();
        assert_eq!(answer.metadata.id, query.metadata.id);
        Some(answer)
    }

    fn answers(message: &Message) -> Vec<String> {
        message
            .answers
            .iter()
            .map(|r| format!("{} {}", r.record_type(), r.data))
            .collect()
    }

    #[test]
    fn zone_answers_as_documented() {
        let dns = DnsServer::start();
        let m = ask(dns.addr(), "good.test.", RecordType::A).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(answers(&m), ["A 127.0.0.1"]);

        let m = ask(dns.addr(), "good.test.", RecordType::AAAA).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());

        let m = ask(dns.addr(), "v6.test.", RecordType::AAAA).unwrap();
        assert_eq!(answers(&m), ["AAAA ::1"]);

        let m = ask(dns.addr(), "dual.test.", RecordType::A).unwrap();
        assert_eq!(answers(&m), ["A 127.0.0.1"]);

        let m = ask(dns.addr(), "ALIAS.test.", RecordType::A).unwrap();
        assert_eq!(answers(&m), ["CNAME good.test.", "A 127.0.0.1"]);

        let m = ask(dns.addr(), "nxdomain.test.", RecordType::A).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);

        let m = ask(dns.addr(), "nodata.test.", RecordType::A).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.answers.is_empty());
        let m = ask(dns.addr(), "nodata.test.", RecordType::TXT).unwrap();
        assert_eq!(m.answers.len(), 1);

        let m = ask(dns.addr(), "servfail.test.", RecordType::A).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::ServFail);

        let m = ask(dns.addr(), "refused.test.", RecordType::A).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::Refused);

        let m = ask(dns.addr(), "api.openai.com.corp.example.", RecordType::A).unwrap();
        assert_eq!(answers(&m), ["A 127.0.0.2"]);
        let m = ask(dns.addr(), "api.example.test.", RecordType::A).unwrap();
        assert_eq!(answers(&m), ["A 127.0.0.1"]);

        assert!(dns.queries().contains(&"good.test A".to_owned()));
    }

    #[test]
    fn zone_answers_over_tcp() {
        use std::io::{Read, Write};
        let dns = DnsServer::start();
        let mut query = Message::query();
        query.add_query(Query::query(name("good.test."), RecordType::A));
        let bytes = query.to_vec().unwrap();
        let mut s = std::net::TcpStream::connect(dns.addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(&u16::try_from(bytes.len()).unwrap().to_be_bytes())
            .unwrap();
        s.write_all(&bytes).unwrap();
        let mut len = [0u8; 2];
        s.read_exact(&mut len).unwrap();
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut buf).unwrap();
        let m = Message::from_vec(&buf).unwrap();
        assert_eq!(answers(&m), ["A 127.0.0.1"]);
    }

    #[test]
    fn silent_server_never_answers() {
        let silent = SilentDns::start();
        assert!(ask(silent.addr(), "good.test.", RecordType::A).is_none());
    }
}
