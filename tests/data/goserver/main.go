// A tiny net/http server: the tests build it (normal and -ldflags='-s -w') and look up
// net/http.serverHandler.ServeHTTP in the result, as the agent does in kube-apiserver.
package main

import (
	"fmt"
	"log"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s\n", r.Method, r.URL.Path)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:0", nil))
}
