// The Cloud Foundry side the plugin talks to besides the cf CLI: a Cloud Controller that serves the few v3
// endpoints the plugin reads (JSON shaped as the v3 API documents it, errors as {"errors": [...]}) and answers
// every v2 endpoint as a foundation with v2 switched off does (a plain-text 404 "V2 endpoints disabled"); and a
// router in front of an app's instances that honours X-Cf-App-Instance as gorouter does (400 with
// X-Cf-Routererror: invalid_cf_app_instance_header or unknown_route). Both listen on 127.0.0.1, with a self-signed
// certificate when the foundation says tls.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Foundation is the test's description of the foundation (GOPEER_FOUNDATION, JSON).
type Foundation struct {
	TLS bool `json:"tls"`
	// The cf CLI's answers.
	SSLDisabled bool `json:"ssl_disabled"`
	// What ApiEndpoint answers instead of the Cloud Controller double's URL (an unreachable API).
	APIEndpoint string    `json:"api_endpoint"`
	AccessToken string    `json:"access_token"`
	Space       SpaceSpec `json:"space"`
	// The token the Cloud Controller accepts (default: AccessToken); another one is answered 401.
	AcceptedToken string    `json:"accepted_token"`
	Apps          []AppSpec `json:"apps"`
	// "" routes by X-Cf-App-Instance; "ignore-header" sends a request addressed to instance N to instance N+1
	// (the wrong one, always) and forwards the header; "strip-header" does the same and removes the header, as a
	// route service in front might.
	Misroute string `json:"misroute"`
}

type SpaceSpec struct {
	Guid string `json:"guid"`
	Name string `json:"name"`
}

type AppSpec struct {
	Guid  string            `json:"guid"`
	Name  string            `json:"name"`
	State string            `json:"state"`
	Env   map[string]string `json:"env"`
	// 403 makes the environment answer as it does to a user without the Space Developer role.
	EnvStatus int `json:"env_status"`
	// Each route's url without a scheme; "ROUTER" stands for the router's host:port.
	Routes    []RouteSpec `json:"routes"`
	Instances []string    `json:"instances"`
	// The port of each instance's controller, in index order, for the router.
	Backends []int `json:"backends"`
}

type RouteSpec struct {
	URL      string `json:"url"`
	Protocol string `json:"protocol"`
}

func defaultFoundation() Foundation {
	return Foundation{
		AccessToken: "bearer peer-token",
		Space:       SpaceSpec{Guid: "space-guid", Name: "dev"},
		Apps: []AppSpec{{
			Guid: "6b4b3e4c-0d1e-4c43-a5b5-3a5f3b2e9c11", Name: "my-app", State: "STARTED",
			Instances: []string{"RUNNING"},
		}},
	}
}

func loadFoundation() (Foundation, error) {
	foundation := defaultFoundation()
	if text := os.Getenv("GOPEER_FOUNDATION"); text != "" {
		foundation = Foundation{}
		if err := json.Unmarshal([]byte(text), &foundation); err != nil {
			return foundation, fmt.Errorf("GOPEER_FOUNDATION: %v", err)
		}
	}
	// A test of the plugin binary gives the app its FASTPUSH_TOKEN variable, as `cf set-env` would.
	if token := os.Getenv("GOPEER_APP_FASTPUSH_TOKEN"); token != "" {
		for index := range foundation.Apps {
			if foundation.Apps[index].Env == nil {
				foundation.Apps[index].Env = map[string]string{}
			}
			foundation.Apps[index].Env["FASTPUSH_TOKEN"] = token
		}
	}
	if foundation.AcceptedToken == "" {
		foundation.AcceptedToken = foundation.AccessToken
	}
	return foundation, nil
}

// Servers are the running Cloud Controller and router.
type Servers struct {
	foundation Foundation
	cc         *httptest.Server
	router     *httptest.Server
	mu         sync.Mutex
	requests   []string
	turn       int
}

func startServers(foundation Foundation) *Servers {
	servers := &Servers{foundation: foundation}
	servers.cc = start(http.HandlerFunc(servers.cloudController), foundation.TLS)
	servers.router = start(http.HandlerFunc(servers.route), foundation.TLS)
	hostPort := strings.TrimPrefix(strings.TrimPrefix(servers.router.URL, "https://"), "http://")
	for a := range servers.foundation.Apps {
		for r := range servers.foundation.Apps[a].Routes {
			route := &servers.foundation.Apps[a].Routes[r]
			route.URL = strings.ReplaceAll(route.URL, "ROUTER", hostPort)
		}
	}
	return servers
}

func start(handler http.Handler, tls bool) *httptest.Server {
	server := httptest.NewUnstartedServer(handler)
	if tls {
		server.StartTLS()
	} else {
		server.Start()
	}
	return server
}

// Requests lists the Cloud Controller requests served, as "GET /v3/apps?...".
func (s *Servers) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// MARK: the Cloud Controller

func (s *Servers) cloudController(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
	s.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte("V2 endpoints disabled"))
		return
	}
	authorization := r.Header.Get("Authorization")
	if authorization == "" {
		ccError(w, http.StatusUnauthorized, 10002, "CF-NotAuthenticated", "Authentication error")
		return
	}
	if authorization != s.foundation.AcceptedToken {
		ccError(w, http.StatusUnauthorized, 1000, "CF-InvalidAuthToken", "Invalid Auth Token")
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v3/apps":
		s.listApps(w, r)
	case r.Method == http.MethodGet && len(parts) >= 4 && parts[0] == "v3" && parts[1] == "apps":
		app := s.app(parts[2])
		if app == nil {
			ccError(w, http.StatusNotFound, 10010, "CF-ResourceNotFound", "App not found")
			return
		}
		switch strings.Join(parts[3:], "/") {
		case "routes":
			s.listRoutes(w, r, app)
		case "environment_variables":
			if app.EnvStatus == http.StatusForbidden {
				ccError(w, http.StatusForbidden, 10003, "CF-NotAuthorized", "You are not authorized to perform the requested action")
				return
			}
			variables := map[string]string{}
			for name, value := range app.Env {
				variables[name] = value
			}
			writeJSON(w, map[string]any{"var": variables, "links": map[string]any{
				"self": link(r, "/v3/apps/"+app.Guid+"/environment_variables"),
				"app":  link(r, "/v3/apps/"+app.Guid),
			}})
		case "processes/web/stats":
			s.processStats(w, app)
		default:
			ccError(w, http.StatusNotFound, 10000, "CF-NotFound", "Unknown request")
		}
	default:
		ccError(w, http.StatusNotFound, 10000, "CF-NotFound", "Unknown request")
	}
}

func (s *Servers) app(guid string) *AppSpec {
	for index := range s.foundation.Apps {
		if s.foundation.Apps[index].Guid == guid {
			return &s.foundation.Apps[index]
		}
	}
	return nil
}

func (s *Servers) listApps(w http.ResponseWriter, r *http.Request) {
	query := r.URL.Query()
	names := splitList(query.Get("names"))
	spaces := splitList(query.Get("space_guids"))
	var resources []any
	apps := append([]AppSpec(nil), s.foundation.Apps...)
	sort.Slice(apps, func(i, j int) bool { return apps[i].Name < apps[j].Name })
	for _, app := range apps {
		if names != nil && !contains(names, app.Name) {
			continue
		}
		if spaces != nil && !contains(spaces, s.foundation.Space.Guid) {
			continue
		}
		resources = append(resources, map[string]any{
			"guid": app.Guid, "name": app.Name, "state": app.State,
			"created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z",
			"lifecycle":     map[string]any{"type": "buildpack", "data": map[string]any{"buildpacks": []string{"python_buildpack"}, "stack": "cflinuxfs4"}},
			"relationships": map[string]any{"space": map[string]any{"data": map[string]any{"guid": s.foundation.Space.Guid}}},
			"metadata":      map[string]any{"labels": map[string]any{}, "annotations": map[string]any{}},
			"links":         map[string]any{"self": link(r, "/v3/apps/"+app.Guid)},
		})
	}
	writeJSON(w, page(r, resources))
}

func (s *Servers) listRoutes(w http.ResponseWriter, r *http.Request, app *AppSpec) {
	var resources []any
	for index, route := range app.Routes {
		protocol := route.Protocol
		if protocol == "" {
			protocol = "http"
		}
		host, path := route.URL, ""
		if slash := strings.Index(host, "/"); slash >= 0 {
			host, path = host[:slash], host[slash:]
		}
		resources = append(resources, map[string]any{
			"guid": fmt.Sprintf("route-%d", index), "protocol": protocol, "port": nil, "host": strings.Split(host, ".")[0],
			"path": path, "url": route.URL, "destinations": []any{},
			"created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:00:00Z",
			"metadata":      map[string]any{"labels": map[string]any{}, "annotations": map[string]any{}},
			"relationships": map[string]any{"space": map[string]any{"data": map[string]any{"guid": s.foundation.Space.Guid}}},
			"links":         map[string]any{"self": link(r, fmt.Sprintf("/v3/routes/route-%d", index))},
		})
	}
	writeJSON(w, page(r, resources))
}

func (s *Servers) processStats(w http.ResponseWriter, app *AppSpec) {
	resources := []any{}
	for index, state := range app.Instances {
		resources = append(resources, map[string]any{
			"type": "web", "index": index, "state": state, "host": "10.0.0.1", "uptime": 1234,
			"instance_guid": fmt.Sprintf("instance-%d", index), "routable": state == "RUNNING",
			"usage":     map[string]any{"time": "2026-12-01T10:00:00Z", "cpu": 0.01, "mem": 100 << 20, "disk": 50 << 20},
			"mem_quota": 256 << 20, "disk_quota": 1 << 30, "fds_quota": 16384, "isolation_segment": nil, "details": nil,
		})
	}
	writeJSON(w, map[string]any{"resources": resources})
}

func page(r *http.Request, resources []any) map[string]any {
	if resources == nil {
		resources = []any{}
	}
	self := link(r, r.URL.RequestURI())
	return map[string]any{
		"pagination": map[string]any{"total_results": len(resources), "total_pages": 1, "first": self, "last": self,
			"next": nil, "previous": nil},
		"resources": resources,
	}
}

func link(r *http.Request, path string) map[string]any {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return map[string]any{"href": scheme + "://" + r.Host + path}
}

func ccError(w http.ResponseWriter, status int, code int, title, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"code": code, "title": title, "detail": detail}}})
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(value)
}

func splitList(text string) []string {
	if text == "" {
		return nil
	}
	return strings.Split(text, ",")
}

func contains(list []string, value string) bool {
	for _, item := range list {
		if item == value {
			return true
		}
	}
	return false
}

// MARK: the router

var instanceHeader = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d+)$`)

func (s *Servers) route(w http.ResponseWriter, r *http.Request) {
	var app *AppSpec
	for index := range s.foundation.Apps {
		if len(s.foundation.Apps[index].Backends) > 0 {
			app = &s.foundation.Apps[index]
			break
		}
	}
	if app == nil {
		routerError(w, http.StatusNotFound, "unknown_route", "Requested route does not exist.")
		return
	}
	index := -1
	header := r.Header.Get("X-Cf-App-Instance")
	switch {
	case header == "":
		s.mu.Lock()
		index = s.turn % len(app.Backends)
		s.turn++
		s.mu.Unlock()
	default:
		match := instanceHeader.FindStringSubmatch(header)
		if match == nil {
			routerError(w, http.StatusBadRequest, "invalid_cf_app_instance_header", "Invalid X-CF-App-Instance Header")
			return
		}
		number, _ := strconv.Atoi(match[2])
		if match[1] != app.Guid || number >= len(app.Backends) {
			routerError(w, http.StatusBadRequest, "unknown_route", "Requested instance ('"+match[2]+"') with guid ('"+match[1]+"') does not exist for route ('"+r.Host+"')")
			return
		}
		index = number
		if s.foundation.Misroute != "" {
			index = (number + 1) % len(app.Backends)
		}
		if s.foundation.Misroute == "strip-header" {
			r.Header.Del("X-Cf-App-Instance")
		}
	}
	target, _ := url.Parse(fmt.Sprintf("http://127.0.0.1:%d", app.Backends[index]))
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ServeHTTP(w, r)
}

func routerError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("X-Cf-Routererror", code)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%d %s: %s\n", status, http.StatusText(status), message)
}
