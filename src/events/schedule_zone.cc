// The one file that includes ICU: ZoneRules over icu::BasicTimeZone (see schedule_zone.h).
#include "events/schedule_zone.h"

#include <unicode/basictz.h>
#include <unicode/timezone.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <utility>

namespace wharf::events {

struct ZoneRules::Impl {
  std::unique_ptr<icu::BasicTimeZone> zone;
};

namespace {

constexpr double kMillis = 1000.0;

Error UnknownZone(std::string_view name) {
  return MakeError("ValidationException",
                   "unknown time zone '" + std::string(name) +
                       "' (expected an IANA time zone name such as America/New_York or UTC)");
}

}  // namespace

Result<std::shared_ptr<const ZoneRules>> ZoneRules::Load(std::string_view name) {
  std::string id = name.empty() ? std::string("UTC") : std::string(name);
  icu::UnicodeString uid = icu::UnicodeString::fromUTF8(id);
  // getCanonicalID knows the system zones (IANA names and links); for an unknown name it fails,
  // and for a custom offset such as "GMT+05:00" it clears isSystemID.
  icu::UnicodeString canonical;
  UBool is_system = false;
  UErrorCode status = U_ZERO_ERROR;
  icu::TimeZone::getCanonicalID(uid, canonical, is_system, status);
  if (U_FAILURE(status) || !is_system || canonical == UNICODE_STRING_SIMPLE("Etc/Unknown")) {
    return UnknownZone(id);
  }
  std::unique_ptr<icu::TimeZone> zone(icu::TimeZone::createTimeZone(uid));
  auto* basic = dynamic_cast<icu::BasicTimeZone*>(zone.get());
  if (basic == nullptr) return UnknownZone(id);
  zone.release();
  auto impl = std::make_unique<Impl>();
  impl->zone.reset(basic);
  return std::shared_ptr<const ZoneRules>(new ZoneRules(std::move(id), std::move(impl)));
}

ZoneRules::ZoneRules(std::string name, std::unique_ptr<Impl> impl)
    : name_(std::move(name)), impl_(std::move(impl)) {}

ZoneRules::~ZoneRules() = default;

int64_t ZoneRules::WallAt(int64_t instant) const {
  int32_t raw = 0;
  int32_t dst = 0;
  UErrorCode status = U_ZERO_ERROR;
  impl_->zone->getOffset(static_cast<double>(instant) * kMillis, /*local=*/false, raw, dst, status);
  // Offsets are whole seconds in every zone since 1970 (ICU keeps them in milliseconds).
  return instant + (static_cast<int64_t>(raw) + dst) / 1000;
}

WallInstants ZoneRules::InstantsAt(int64_t wall) const {
  // ICU reads a wall time with the offset before a transition (FORMER) or after it (LATTER); in a
  // gap neither reading shows the wall time again, in an overlap both do.
  auto offset = [&](UTimeZoneLocalOption option) {
    int32_t raw = 0;
    int32_t dst = 0;
    UErrorCode status = U_ZERO_ERROR;
    impl_->zone->getOffsetFromLocal(static_cast<double>(wall) * kMillis, option, option, raw, dst,
                                    status);
    return (static_cast<int64_t>(raw) + dst) / 1000;
  };
  const int64_t former = wall - offset(UCAL_TZ_LOCAL_FORMER);
  const int64_t latter = wall - offset(UCAL_TZ_LOCAL_LATTER);
  const bool former_ok = WallAt(former) == wall;
  const bool latter_ok = WallAt(latter) == wall;
  WallInstants out;
  if (!former_ok && !latter_ok) {
    out.after_gap = former;
    return out;
  }
  if (former_ok && latter_ok && former != latter) {
    out.count = 2;
    out.earliest = std::min(former, latter);
    out.latest = std::max(former, latter);
    return out;
  }
  out.count = 1;
  out.earliest = out.latest = former_ok ? former : latter;
  return out;
}

std::string ZoneRules::DataVersion() {
  UErrorCode status = U_ZERO_ERROR;
  const char* version = icu::TimeZone::getTZDataVersion(status);
  return U_SUCCESS(status) && version != nullptr ? version : "unknown";
}

}  // namespace wharf::events
