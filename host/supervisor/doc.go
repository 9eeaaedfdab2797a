// Package supervisor runs plugin processes: one Instance per (site, driver)
// pair, or one shared by every site of a driver (isolation = "driver"; its
// device ids are then the apps' "site/device" references). It starts a
// driver through go-plugin (scrubbed environment, AutoMTLS, optional sha256
// pin), checks its API version, configures it, pumps its events into the
// host's bus, notices when the process dies and answers for it with
// UNAVAILABLE from then on.
package supervisor
