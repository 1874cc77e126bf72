// Section readers of the project file that live outside project.cc (see project.h). Only
// project*.cc include this header.
// Thread-safety: reentrant functions over caller-owned values.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/project.h"
#include "core/yaml.h"

namespace wharf::project_internal {

// Resolves a path written in the project file against the project folder (absolute, normalized).
using AbsolutePath = std::function<std::string(const std::string&)>;

// `users: NAME: {password_hash, ssh_keys, home, permissions, allowed_networks, protocols,
// quota_bytes, quota_files, max_file_size}`.
Status ReadUsers(const yaml::Reader& r, const yaml::Node& node, const std::string& path,
                 std::map<std::string, UserConfig>& users);

// `servers: {sftp: {...}, ftp: {...}, lockout: {...}}`.
Status ReadServers(const yaml::Reader& r, const yaml::Node& node, const std::string& path,
                   const AbsolutePath& absolute, ServersConfig& servers);

// `rules: NAME: {description, event_pattern, enabled, targets: [...]}`.
Status ReadRules(const yaml::Reader& r, const yaml::Node& node, const std::string& path,
                 std::map<std::string, RuleConfig>& rules);

// `schedules: NAME: {expression, timezone, enabled, start, end, target: {state_machine, input}}`.
Status ReadSchedules(const yaml::Reader& r, const yaml::Node& node, const std::string& path,
                     std::map<std::string, ScheduleConfig>& schedules);

// EventBridge's rule and schedule names: 1 to 64 of [0-9a-zA-Z._-].
bool IsEventBridgeName(std::string_view name);

// A JSON document written either as YAML or as a string of JSON text, returned as JSON text;
// `object_only` refuses anything but an object.
Result<std::string> ReadJsonDocument(const yaml::Reader& r, const yaml::Node& node,
                                     const std::string& path, bool object_only);

// Reads a list of CIDR networks ("users.alice.allowed_networks[2]: ..." on a bad item).
Result<std::vector<IpNetwork>> ReadNetworks(const yaml::Reader& r, const yaml::Node& node,
                                            const std::string& path);

// A whole number of seconds from `min` to `max`.
Result<std::chrono::seconds> ReadSeconds(const yaml::Reader& r, const yaml::Node& node,
                                         const std::string& path, int64_t min, int64_t max);

std::string Quote(std::string_view s);

}  // namespace wharf::project_internal
