/* http: the contract between bpf/http.bpf.c (a uprobe on the entry of Go's
 * net/http.serverHandler.ServeHTTP in kube-apiserver) and agent/httpprobe.c. One http_event per
 * request the server starts to handle, HTTP/1.1 and HTTP/2 alike. Never a credential: of the
 * Authorization header only its presence and scheme ("Bearer", "Basic") leave the kernel. */
#ifndef KAA_BPF_HTTP_H
#define KAA_BPF_HTTP_H

#define HTTP_METHOD_LEN	   16
#define HTTP_SCHEME_LEN	   16
#define HTTP_ADDR_LEN	   64  /* Request.RemoteAddr: "10.0.0.1:52814", "[fd00::1]:52814" */
#define HTTP_URI_LEN	   256 /* Request.RequestURI, cut; uri_len has the full length */
#define HTTP_RINGBUF_BYTES (1024 * 1024)

/* How the Go version lays out a map[string][]string (http.Header). */
enum http_map_layout {
	HTTP_MAP_BUCKETS = 1, /* runtime.hmap + bmap buckets, Go 1.19 - 1.23 */
	HTTP_MAP_SWISS = 2,   /* internal/runtime/maps.Map (Swiss tables), Go 1.24 and later */
};

/* Where the fields are in the probed binary; agent/gooffsets.c fills it from DWARF or its
 * per-Go-version table. Byte offsets. */
struct http_offsets {
	__u32 req_method;      /* net/http.Request.Method (string) */
	__u32 req_header;      /* net/http.Request.Header (map pointer) */
	__u32 req_remote_addr; /* net/http.Request.RemoteAddr (string) */
	__u32 req_request_uri; /* net/http.Request.RequestURI (string) */
	__u32 req_tls;	       /* net/http.Request.TLS (*tls.ConnectionState) */
	__u32 tls_peer_certs;  /* crypto/tls.ConnectionState.PeerCertificates (slice) */
	__u32 map_layout;      /* enum http_map_layout */
	__u32 req_reg;	       /* ServeHTTP's *Request argument: 3 = RDI (Go ABIInternal, amd64) */
};

enum http_event_flags {
	HTTP_F_AUTH = 1 << 0,	     /* an Authorization header is present */
	HTTP_F_TLS = 1 << 1,	     /* Request.TLS is set */
	HTTP_F_CLIENT_CERT = 1 << 2, /* ...with at least one peer certificate */
	HTTP_F_HEADERS_CUT = 1 << 3, /* the header map was too large to search in full */
};

struct http_event {
	__u64 ts_ns;	  /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u32 pid;	  /* the server process (tgid) */
	__u32 flags;	  /* enum http_event_flags */
	__u32 uri_len;	  /* the full length of RequestURI (uri holds the first HTTP_URI_LEN-1) */
	__u32 method_len; /* lengths as Go has them; the arrays are NUL-terminated and cut */
	__u32 addr_len;
	__u32 pad;
	char method[HTTP_METHOD_LEN];
	char scheme[HTTP_SCHEME_LEN]; /* the Authorization value up to its first space, if short */
	char remote_addr[HTTP_ADDR_LEN];
	char uri[HTTP_URI_LEN];
};

_Static_assert(sizeof(struct http_event) == 384, "struct http_event is read by both sides");

#endif
