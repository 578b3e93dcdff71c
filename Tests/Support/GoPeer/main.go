// Command gopeer plays the cf CLI's side of the plugin protocol for GobRPC's integration tests:
// a net/rpc server (gob codec) for the service CliRpcCmd on 127.0.0.1, with cf's method names and
// types, answering canned data and recording what it receives so the tests can check it.
//
// It also runs a Cloud Controller and a router for the foundation the test describes (foundation.go).
// It prints "PORT <n> CC <url> ROUTER <url>" once listening and exits when its stdin closes.
package main

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The plugin package's types (cf's plugin/plugin.go).

type VersionType struct {
	Major int
	Minor int
	Build int
}

type Usage struct {
	Usage   string
	Options map[string]string
}

type Command struct {
	Name         string
	Alias        string
	HelpText     string
	UsageDetails Usage
}

type PluginMetadata struct {
	Name           string
	Version        VersionType
	LibraryVersion VersionType
	MinCliVersion  VersionType
	Commands       []Command
}

// The plugin_models package's types.

type GetAppModel struct {
	Guid                 string
	Name                 string
	BuildpackUrl         string
	Command              string
	DetectedStartCommand string
	DiskQuota            int64
	EnvironmentVars      map[string]interface{}
	InstanceCount        int
	Memory               int64
	RunningInstances     int
	HealthCheckTimeout   int
	State                string
	SpaceGuid            string
	PackageUpdatedAt     *time.Time
	PackageState         string
	StagingFailedReason  string
	Stack                *GetApp_Stack
	Instances            []GetApp_AppInstanceFields
	Routes               []GetApp_RouteSummary
	Services             []GetApp_ServiceSummary
}

type GetApp_AppInstanceFields struct {
	State     string
	Details   string
	Since     time.Time
	CpuUsage  float64
	DiskQuota int64
	DiskUsage int64
	MemQuota  int64
	MemUsage  int64
}

type GetApp_Stack struct {
	Guid        string
	Name        string
	Description string
}

type GetApp_RouteSummary struct {
	Guid   string
	Host   string
	Domain GetApp_DomainFields
	Path   string
	Port   int
}

type GetApp_DomainFields struct {
	Guid string
	Name string
}

type GetApp_ServiceSummary struct {
	Guid string
	Name string
}

type QuotaFields struct {
	Guid                    string
	Name                    string
	MemoryLimit             int64
	InstanceMemoryLimit     int64
	RoutesLimit             int
	ServicesLimit           int
	NonBasicServicesAllowed bool
}

type OrganizationFields struct {
	Guid            string
	Name            string
	QuotaDefinition QuotaFields
}

type Organization struct {
	OrganizationFields
}

type SpaceFields struct {
	Guid string
	Name string
}

type Space struct {
	SpaceFields
}

// CliRpcCmd answers like cf, with canned data and the foundation's (foundation.go).
type CliRpcCmd struct {
	servers     *Servers
	mu          sync.Mutex
	metadata    *PluginMetadata
	calls       []string
	coreArgs    []string
	silent      bool
	connections *int
}

func (c *CliRpcCmd) record(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, method)
}

func (c *CliRpcCmd) SetPluginMetadata(metadata PluginMetadata, ok *bool) error {
	c.record("SetPluginMetadata")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.metadata = &metadata
	// cf's own checks at install time.
	*ok = metadata.Name != "" && len(metadata.Commands) > 0 && metadata.LibraryVersion.Major <= 1
	return nil
}

// LastPluginMetadata sends back what SetPluginMetadata received (not a cf method).
func (c *CliRpcCmd) LastPluginMetadata(_ string, metadata *PluginMetadata) error {
	c.record("LastPluginMetadata")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.metadata == nil {
		return errors.New("no plugin metadata received")
	}
	*metadata = *c.metadata
	return nil
}

// DescribePluginMetadata renders what SetPluginMetadata received as text (not a cf method).
func (c *CliRpcCmd) DescribePluginMetadata(_ string, text *string) error {
	c.record("DescribePluginMetadata")
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.metadata == nil {
		return errors.New("no plugin metadata received")
	}
	m := c.metadata
	version := func(v VersionType) string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Build) }
	var commands []string
	for _, command := range m.Commands {
		keys := make([]string, 0, len(command.UsageDetails.Options))
		for key := range command.UsageDetails.Options {
			keys = append(keys, key)
		}
		sort.Strings(keys)
		var options []string
		for _, key := range keys {
			options = append(options, key+"="+command.UsageDetails.Options[key])
		}
		commands = append(commands, fmt.Sprintf("%s|%s|%s|%s|{%s}", command.Name, command.Alias, command.HelpText,
			command.UsageDetails.Usage, strings.Join(options, ",")))
	}
	*text = fmt.Sprintf("name=%s version=%s library=%s min=%s commands=[%s]", m.Name, version(m.Version),
		version(m.LibraryVersion), version(m.MinCliVersion), strings.Join(commands, "; "))
	return nil
}

// Stats reports the connections accepted and the calls served (not a cf method).
func (c *CliRpcCmd) Stats(_ string, text *string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	*text = fmt.Sprintf("connections=%d calls=%s", *c.connections, strings.Join(c.calls, ","))
	return nil
}

func (c *CliRpcCmd) IsMinCliVersion(version string, ok *bool) error {
	c.record("IsMinCliVersion")
	want := strings.Split(version, ".")
	have := []int{7, 3, 0}
	for index, part := range want {
		number, err := strconv.Atoi(part)
		if err != nil || index >= len(have) {
			return fmt.Errorf("invalid version %q", version)
		}
		if have[index] != number {
			*ok = have[index] > number
			return nil
		}
	}
	*ok = true
	return nil
}

func (c *CliRpcCmd) DisableTerminalOutput(disable bool, ok *bool) error {
	c.record("DisableTerminalOutput")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.silent = disable
	*ok = true
	return nil
}

func (c *CliRpcCmd) CallCoreCommand(args []string, ok *bool) error {
	c.record("CallCoreCommand")
	c.mu.Lock()
	defer c.mu.Unlock()
	c.coreArgs = args
	if len(args) > 0 && args[0] == "fail" {
		*ok = false
		return errors.New("Not logged in. Use 'cf login' to log in.")
	}
	*ok = true
	return nil
}

func (c *CliRpcCmd) GetOutputAndReset(success bool, output *[]string) error {
	c.record("GetOutputAndReset")
	c.mu.Lock()
	defer c.mu.Unlock()
	*output = []string{"ran: " + strings.Join(c.coreArgs, " "), fmt.Sprintf("silent=%v success=%v", c.silent, success)}
	c.coreArgs = nil
	return nil
}

func (c *CliRpcCmd) GetApp(name string, app *GetAppModel) error {
	c.record("GetApp")
	if name != "my-app" {
		return fmt.Errorf("App %s not found", name)
	}
	updated := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)
	*app = GetAppModel{
		Guid:                 "6b4b3e4c-0d1e-4c43-a5b5-3a5f3b2e9c11",
		Name:                 "my-app",
		BuildpackUrl:         "python_buildpack",
		Command:              "python app.py",
		DetectedStartCommand: "python main.py",
		DiskQuota:            1024,
		EnvironmentVars: map[string]interface{}{
			"STRING": "value",
			"NUMBER": 42.5,
			"INT":    7,
			"BOOL":   true,
			"NIL":    nil,
			"NESTED": map[string]interface{}{
				"list": []interface{}{"x", 1.5, map[string]interface{}{"deep": true}},
			},
		},
		InstanceCount:      2,
		Memory:             256,
		RunningInstances:   1,
		HealthCheckTimeout: 60,
		State:              "STARTED",
		SpaceGuid:          "space-guid",
		PackageUpdatedAt:   &updated,
		PackageState:       "STAGED",
		Stack:              &GetApp_Stack{Guid: "stack-guid", Name: "cflinuxfs4", Description: "Cloud Foundry Linux"},
		Instances: []GetApp_AppInstanceFields{
			{
				State: "RUNNING", Details: "healthy",
				Since:    time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("odd", 5*3600+30*60+7)),
				CpuUsage: 0.25, DiskQuota: 1 << 30, DiskUsage: 123456, MemQuota: 256 << 20, MemUsage: 100 << 20,
			},
			{State: "CRASHED", Since: time.Date(2023, 12, 31, 23, 0, 0, 0, time.FixedZone("west", -7*3600))},
		},
		Routes: []GetApp_RouteSummary{
			{Guid: "r1", Host: "my-app", Domain: GetApp_DomainFields{Guid: "d1", Name: "example.com"}, Path: "/p"},
			{Guid: "r2", Domain: GetApp_DomainFields{Guid: "d2", Name: "tcp.example.com"}, Port: 1024},
		},
		Services: []GetApp_ServiceSummary{{Guid: "s1", Name: "db"}},
	}
	// A test of the plugin binary gives the app its FASTPUSH_TOKEN variable, as `cf set-env` would.
	if token := os.Getenv("GOPEER_APP_FASTPUSH_TOKEN"); token != "" {
		app.EnvironmentVars["FASTPUSH_TOKEN"] = token
	}
	return nil
}

// AccessToken gives the foundation's token, as cf gives a refreshed one.
func (c *CliRpcCmd) AccessToken(_ string, token *string) error {
	c.record("AccessToken")
	*token = c.servers.foundation.AccessToken
	return nil
}

// ApiEndpoint is the Cloud Controller double's URL.
func (c *CliRpcCmd) ApiEndpoint(_ string, endpoint *string) error {
	c.record("ApiEndpoint")
	*endpoint = c.servers.cc.URL
	if c.servers.foundation.APIEndpoint != "" {
		*endpoint = c.servers.foundation.APIEndpoint
	}
	return nil
}

// IsSSLDisabled says whether the API was targeted with --skip-ssl-validation.
func (c *CliRpcCmd) IsSSLDisabled(_ string, disabled *bool) error {
	c.record("IsSSLDisabled")
	*disabled = c.servers.foundation.SSLDisabled
	return nil
}

// CloudControllerRequests lists what the Cloud Controller double served (not a cf method).
func (c *CliRpcCmd) CloudControllerRequests(_ string, requests *[]string) error {
	*requests = c.servers.Requests()
	return nil
}

func (c *CliRpcCmd) IsLoggedIn(_ string, ok *bool) error {
	c.record("IsLoggedIn")
	*ok = true
	return nil
}

func (c *CliRpcCmd) HasAPIEndpoint(_ string, ok *bool) error {
	c.record("HasAPIEndpoint")
	*ok = true
	return nil
}

func (c *CliRpcCmd) Username(_ string, name *string) error {
	c.record("Username")
	*name = "peer-user"
	return nil
}

func (c *CliRpcCmd) GetCurrentOrg(_ string, org *Organization) error {
	c.record("GetCurrentOrg")
	*org = Organization{OrganizationFields{Guid: "org-guid", Name: "my-org", QuotaDefinition: QuotaFields{
		Guid: "quota-guid", Name: "default", MemoryLimit: 10240, InstanceMemoryLimit: -1, RoutesLimit: 1000,
		ServicesLimit: 100, NonBasicServicesAllowed: true,
	}}}
	return nil
}

func (c *CliRpcCmd) GetCurrentSpace(_ string, space *Space) error {
	c.record("GetCurrentSpace")
	space.Guid, space.Name = c.servers.foundation.Space.Guid, c.servers.foundation.Space.Name
	return nil
}

func main() {
	// The concrete types inside EnvironmentVars, as cf decodes them from JSON.
	gob.Register(map[string]interface{}{})
	gob.Register([]interface{}{})

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	foundation, err := loadFoundation()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	servers := startServers(foundation)
	connections := 0
	service := &CliRpcCmd{servers: servers, connections: &connections}
	server := rpc.NewServer()
	if err := server.RegisterName("CliRpcCmd", service); err != nil {
		fmt.Fprintln(os.Stderr, "register:", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "PORT %d CC %s ROUTER %s\n", listener.Addr().(*net.TCPAddr).Port, servers.cc.URL, servers.router.URL)
	out.Flush()

	// Stop when the test closes our stdin, or after a while if it never does.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	time.AfterFunc(5*time.Minute, func() { os.Exit(2) })

	for {
		conn, err := listener.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "accept:", err)
			os.Exit(1)
		}
		service.mu.Lock()
		connections++
		service.mu.Unlock()
		go server.ServeConn(conn)
	}
}
