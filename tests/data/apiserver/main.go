// apiserver: a stand-in kube-apiserver for the agent's tests and benchmarks.
//
// It serves HTTPS with net/http + crypto/tls the way kube-apiserver does (ServeTLS,
// so HTTP/2 is negotiated by ALPN and HTTP/1.1 still works), which means every
// request goes through net/http.serverHandler.ServeHTTP, where the agent's uprobe
// sits. For each request it appends one native Kubernetes audit event (audit.k8s.io/v1,
// level Metadata, stage ResponseComplete) as a JSON line to -audit-log, after the
// response has been sent, so the agent can follow the log and tie alerts to requests.
//
// Users: a verified client certificate (-client-ca) gives CN as username and O as
// groups; an "Authorization: Bearer ..." header gives a fixed service account; anything
// else is system:anonymous. Anonymous requests for core "secrets" get a 403 Status.
//
// Standard library only (Go 1.19). SIGTERM/SIGINT close the server and exit 0.
package main

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Audit event, field names and order as in k8s.io/apiserver/pkg/apis/audit/v1.
type event struct {
	Kind                     string         `json:"kind"`
	APIVersion               string         `json:"apiVersion"`
	Level                    string         `json:"level"`
	AuditID                  string         `json:"auditID"`
	Stage                    string         `json:"stage"`
	RequestURI               string         `json:"requestURI"`
	Verb                     string         `json:"verb"`
	User                     userInfo       `json:"user"`
	SourceIPs                []string       `json:"sourceIPs"`
	UserAgent                string         `json:"userAgent,omitempty"`
	ObjectRef                *objectRef     `json:"objectRef,omitempty"`
	ResponseStatus           responseStatus `json:"responseStatus"`
	RequestReceivedTimestamp string         `json:"requestReceivedTimestamp"`
	StageTimestamp           string         `json:"stageTimestamp"`
}

type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups,omitempty"`
}

type objectRef struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

type responseStatus struct {
	Metadata struct{} `json:"metadata"`
	Code     int      `json:"code"`
}

// Kubernetes' audit timestamps: RFC3339 with microseconds, UTC.
const tsLayout = "2006-01-02T15:04:05.000000Z07:00"

var (
	auditMu   sync.Mutex
	auditFile *os.File
	delay     time.Duration
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	portFile := flag.String("port-file", "", "write the bound port to this file (atomically)")
	certFile := flag.String("cert", "", "server certificate (PEM, required)")
	keyFile := flag.String("key", "", "server private key (PEM, required)")
	clientCA := flag.String("client-ca", "", "CA for client certificates (VerifyClientCertIfGiven)")
	auditLog := flag.String("audit-log", "", "append audit events (JSON lines) to this file")
	flag.DurationVar(&delay, "delay", 0, "per-request handler delay")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("apiserver: ")
	if *certFile == "" || *keyFile == "" {
		log.Fatal("-cert and -key are required")
	}

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}
	if *clientCA != "" {
		pem, err := os.ReadFile(*clientCA)
		if err != nil {
			log.Fatal(err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			log.Fatalf("no certificates in %s", *clientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}

	if *auditLog != "" {
		auditFile, err = os.OpenFile(*auditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			log.Fatal(err)
		}
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	if *portFile != "" {
		if err := writePortFile(*portFile, ln.Addr().(*net.TCPAddr).Port); err != nil {
			log.Fatal(err)
		}
	}

	srv := &http.Server{
		Handler:   http.HandlerFunc(handle),
		TLSConfig: cfg,
		ErrorLog:  log.New(os.Stderr, "apiserver: ", 0),
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sig
		srv.Close()
	}()

	// ServeTLS (like ListenAndServeTLS) sets up HTTP/2 and adds "h2" and "http/1.1"
	// to ALPN; the certificate is already in cfg, so no file names are passed.
	if err := srv.ServeTLS(ln, "", ""); err != http.ErrServerClosed {
		log.Fatal(err)
	}
	auditMu.Lock()
	if auditFile != nil {
		auditFile.Close()
		auditFile = nil
	}
	auditMu.Unlock()
	os.Exit(0)
}

// writePortFile writes port to a temporary file next to path and renames it into place.
func writePortFile(path string, port int) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".port-*")
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%d\n", port); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

func handle(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	if delay > 0 {
		time.Sleep(delay)
	}
	user := authenticate(r)
	verb, ref := requestInfo(r)

	code := http.StatusOK
	var body []byte
	if user.Username == "system:anonymous" && ref != nil && ref.APIGroup == "" && ref.Resource == "secrets" {
		code = http.StatusForbidden
		msg := fmt.Sprintf("secrets is forbidden: User \"system:anonymous\" cannot %s resource \"secrets\" in API group \"\"", verb)
		if ref.Namespace != "" {
			msg += fmt.Sprintf(" in the namespace %q", ref.Namespace)
		}
		body, _ = json.Marshal(map[string]interface{}{
			"kind": "Status", "apiVersion": "v1", "metadata": map[string]string{},
			"status": "Failure", "message": msg, "reason": "Forbidden",
			"details": map[string]string{"kind": "secrets"}, "code": code,
		})
	} else {
		body, _ = json.Marshal(map[string]string{
			"kind": "Stub", "apiVersion": "v1", "verb": verb, "path": r.URL.Path, "user": user.Username,
		})
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
	// Push the response to the client before logging it, like ResponseComplete.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}

	if auditFile == nil {
		return
	}
	ev := event{
		Kind:                     "Event",
		APIVersion:               "audit.k8s.io/v1",
		Level:                    "Metadata",
		AuditID:                  uuid4(),
		Stage:                    "ResponseComplete",
		RequestURI:               r.RequestURI,
		Verb:                     verb,
		User:                     user,
		SourceIPs:                []string{sourceIP(r.RemoteAddr)},
		UserAgent:                r.UserAgent(),
		ObjectRef:                ref,
		RequestReceivedTimestamp: received.UTC().Format(tsLayout),
		StageTimestamp:           time.Now().UTC().Format(tsLayout),
	}
	ev.ResponseStatus.Code = code
	line, err := json.Marshal(&ev)
	if err != nil {
		log.Print(err)
		return
	}
	line = append(line, '\n')
	auditMu.Lock()
	defer auditMu.Unlock()
	if auditFile == nil {
		return // shutting down
	}
	if _, err := auditFile.Write(line); err != nil {
		log.Print(err)
	}
}

// authenticate: verified client certificate, then bearer token, then anonymous.
func authenticate(r *http.Request) userInfo {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
		c := r.TLS.VerifiedChains[0][0]
		return userInfo{Username: c.Subject.CommonName, Groups: c.Subject.Organization}
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") && strings.TrimSpace(a[7:]) != "" {
		return userInfo{
			Username: "system:serviceaccount:default:tester",
			Groups:   []string{"system:serviceaccounts", "system:authenticated"},
		}
	}
	return userInfo{Username: "system:anonymous", Groups: []string{"system:unauthenticated"}}
}

// requestInfo derives the Kubernetes verb and object reference from the request,
// after k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory (simplified).
// Non-resource paths get the lowercase HTTP method and no objectRef.
func requestInfo(r *http.Request) (string, *objectRef) {
	method := strings.ToLower(r.Method)
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	ref := &objectRef{}
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		ref.APIVersion, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		ref.APIGroup, ref.APIVersion, parts = parts[1], parts[2], parts[3:]
	default:
		return method, nil
	}
	verb := method
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		verb = "get"
	case http.MethodPost:
		verb = "create"
	case http.MethodPut:
		verb = "update"
	case http.MethodPatch:
		verb = "patch"
	case http.MethodDelete:
		verb = "delete"
	}
	// /namespaces/{ns}/{resource}/... ; /namespaces and /namespaces/{ns} name namespaces.
	if parts[0] == "namespaces" && len(parts) > 1 {
		ref.Namespace = parts[1]
		if len(parts) > 2 {
			parts = parts[2:]
		}
	}
	ref.Resource = parts[0]
	if len(parts) > 1 {
		ref.Name = parts[1]
	}
	if len(parts) > 2 {
		ref.Subresource = parts[2]
	}
	if ref.Name == "" {
		switch verb {
		case "get":
			verb = "list"
			if w := r.URL.Query().Get("watch"); w == "true" || w == "1" {
				verb = "watch"
			}
		case "delete":
			verb = "deletecollection"
		}
	}
	return verb, ref
}

// sourceIP returns the host part of a RemoteAddr, without brackets or IPv6 zone.
func sourceIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if i := strings.IndexByte(host, '%'); i >= 0 {
		host = host[:i]
	}
	return host
}

// uuid4 returns a random (version 4) UUID.
func uuid4() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		log.Print(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
