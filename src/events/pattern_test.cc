// The examples of the EventBridge User Guide (each operator's pattern and event), and patterns
// that must be refused with a message naming the field.
#include "events/pattern.h"

#include <gtest/gtest.h>

#include "events/matcher.h"

namespace wharf::events {
namespace {

Json Parse(std::string_view text) {
  auto r = Json::Parse(text);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? *r : Json();
}

// Checks the verdict both ways: the pattern alone and through a Matcher.
void ExpectMatch(std::string_view pattern, std::string_view event, bool expected) {
  auto p = Pattern::Compile(pattern);
  ASSERT_TRUE(p.ok()) << p.error().message;
  Json e = Parse(event);
  EXPECT_EQ(p->Matches(e), expected) << pattern << "\n" << event;
  Matcher m;
  m.Add("r", *p);
  EXPECT_EQ(m.Match(e).size(), expected ? 1u : 0u) << pattern << "\n" << event;
}

// --- "Amazon EventBridge event patterns" -----------------------------------------------------

constexpr std::string_view kEc2Event = R"({
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "111122223333",
  "time": "2017-12-22T18:43:48Z",
  "region": "us-west-1",
  "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"}
})";

TEST(PatternGuide, InstanceTerminationEvents) {
  ExpectMatch(R"({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
                  "detail": {"state": ["terminated"]}})",
              kEc2Event, true);
  ExpectMatch(R"({"source": ["aws.ec2"], "detail": {"state": ["running"]}})", kEc2Event, false);
}

TEST(PatternGuide, MatchValuesAreAList) {
  ExpectMatch(R"({"source": ["aws.ec2", "aws.fargate"]})", kEc2Event, true);
  ExpectMatch(R"({"source": ["aws.s3", "aws.fargate"]})", kEc2Event, false);
}

constexpr std::string_view kMacieEvent = R"({
  "version": "0", "id": "3e355723-fca9-4de3-9fd7-154c289d6b59", "detail-type": "Macie Alert",
  "source": "aws.macie", "account": "123456789012", "time": "2017-04-24T22:28:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id",
                "arn:aws:macie:us-east-1:123456789012:trigger/trigger_id"],
  "detail": {"notification-type": "ALERT_CREATED", "name": "Scanning bucket policies",
             "tags": ["Custom_Alert", "Insider"], "risk-score": 80,
             "trigger": {"alert-type": "basic", "risk": 8}}
})";

TEST(PatternGuide, ValueMatchingOnNumbers) {
  ExpectMatch(R"({"source": ["aws.macie"], "detail-type": ["Macie Alert"],
                  "detail": {"risk-score": [80], "trigger": {"risk": [8]}}})",
              kMacieEvent, true);
  ExpectMatch(R"({"detail": {"risk-score": [80], "trigger": {"risk": [9]}}})", kMacieEvent, false);
  ExpectMatch(R"({"detail": {"tags": ["Insider"]}})", kMacieEvent, true);
}

// --- "Matching null values and empty strings" -------------------------------------------------

constexpr std::string_view kAutoScalingEvent = R"({
  "version": "0", "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
  "detail-type": "EC2 Instance Launch Successful", "source": "aws.autoscaling",
  "account": "123456789012", "time": "2015-11-11T21:31:47Z", "region": "us-east-1",
  "resources": [], "detail": {"eventVersion": "", "responseElements": null}
})";

TEST(PatternGuide, NullAndEmptyStringAreNotInterchangeable) {
  ExpectMatch(R"({"detail": {"eventVersion": [""]}})", kAutoScalingEvent, true);
  ExpectMatch(R"({"detail": {"responseElements": [null]}})", kAutoScalingEvent, true);
  ExpectMatch(R"({"detail": {"eventVersion": [null]}})", kAutoScalingEvent, false);
  ExpectMatch(R"({"detail": {"responseElements": [""]}})", kAutoScalingEvent, false);
  ExpectMatch(R"({"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Successful"],
                  "detail": {"responseElements": [null]}})",
              kAutoScalingEvent, true);
}

// --- "Arrays in event patterns" ---------------------------------------------------------------

TEST(PatternGuide, ArraysMatchWhenTheyIntersect) {
  constexpr std::string_view pattern = R"({"resources": [
      "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
      "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
      "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]})";
  ExpectMatch(pattern, R"({"resources": [
      "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
      "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]})",
              true);
  ExpectMatch(pattern, R"({"resources": ["arn:aws:ec2:us-east-1:999999999999:instance/i-1"]})",
              false);
}

// --- "Content filtering in event patterns" ----------------------------------------------------

constexpr std::string_view kRulerEvent = R"({
  "version": "0", "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
  "account": "012345679012", "time": "2017-10-02T16:24:49Z", "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {"c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33",
             "instance-id": "i-000000aaaaaa00000", "state": "running"}
})";

TEST(PatternGuide, Prefix) {
  ExpectMatch(R"({"time": [{"prefix": "2017-10-02"}]})", kRulerEvent, true);
  ExpectMatch(R"({"time": [{"prefix": "2017-10-03"}]})", kRulerEvent, false);
}

TEST(PatternGuide, PrefixIgnoringCase) {
  constexpr std::string_view p =
      R"({"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}})";
  ExpectMatch(p, R"({"detail": {"service": "EventBridge"}})", true);
  ExpectMatch(p, R"({"detail": {"service": "EVENTBRIDGE"}})", true);
  ExpectMatch(p, R"({"detail": {"service": "eventb"}})", true);
  ExpectMatch(p, R"({"detail": {"service": "Event Bridge"}})", false);
}

TEST(PatternGuide, Suffix) {
  ExpectMatch(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "photo.png"})", true);
  ExpectMatch(R"({"FileName": [{"suffix": ".png"}]})", R"({"FileName": "photo.PNG"})", false);
}

TEST(PatternGuide, SuffixIgnoringCase) {
  constexpr std::string_view p =
      R"({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}})";
  ExpectMatch(p, R"({"detail": {"FileName": "photo.PNG"}})", true);
  ExpectMatch(p, R"({"detail": {"FileName": "photo.Png"}})", true);
  ExpectMatch(p, R"({"detail": {"FileName": "photo.jpg"}})", false);
}

TEST(PatternGuide, AnythingBut) {
  ExpectMatch(R"({"detail": {"state": [{"anything-but": "initializing"}]}})", kRulerEvent, true);
  ExpectMatch(R"({"detail": {"state": [{"anything-but": "running"}]}})", kRulerEvent, false);
  ExpectMatch(R"({"detail": {"x-limit": [{"anything-but": 123}]}})", kRulerEvent, true);
  ExpectMatch(R"({"detail": {"x-limit": [{"anything-but": 301.8}]}})", kRulerEvent, false);
  ExpectMatch(R"({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}})",
              kRulerEvent, true);
  ExpectMatch(R"({"detail": {"state": [{"anything-but": ["stopped", "running"]}]}})", kRulerEvent,
              false);
  ExpectMatch(R"({"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}})", kRulerEvent, true);
  ExpectMatch(R"({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}})", kRulerEvent,
              true);
  ExpectMatch(R"({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}})", kRulerEvent,
              false);
}

TEST(PatternGuide, AnythingButSuffixIgnoreCaseAndWildcard) {
  ExpectMatch(R"({"FileName": [{"anything-but": {"suffix": ".png"}}]})",
              R"({"FileName": "notes.txt"})", true);
  ExpectMatch(R"({"FileName": [{"anything-but": {"suffix": ".png"}}]})",
              R"({"FileName": "photo.png"})", false);
  ExpectMatch(R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
              R"({"state": "INITIALIZING"})", false);
  ExpectMatch(R"({"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]})",
              R"({"state": "running"})", true);
  ExpectMatch(R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})",
              R"({"FilePath": "/usr/lib/libc.so"})", false);
  ExpectMatch(R"({"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]})",
              R"({"FilePath": "/usr/bin/ls"})", true);
}

TEST(PatternGuide, Numeric) {
  ExpectMatch(R"({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                             "d-count": [{"numeric": ["<", 10]}],
                             "x-limit": [{"numeric": ["=", 3.018e2]}]}})",
              kRulerEvent, true);
  ExpectMatch(R"({"detail": {"c-count": [{"numeric": [">", 5]}]}})", kRulerEvent, false);
}

TEST(PatternGuide, IpAddress) {
  ExpectMatch(R"({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}})", kRulerEvent, true);
  ExpectMatch(R"({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}})", kRulerEvent, false);
  ExpectMatch(R"({"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}})",
              R"({"detail": {"sourceIPAddress": "2001:db8::8a2e:370:7334"}})", true);
}

TEST(PatternGuide, Exists) {
  constexpr std::string_view pending =
      R"({"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
      "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
      "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
      "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
      "detail": {"instance-id": "i-abcd1111", "state": "pending"}})";
  constexpr std::string_view no_state = R"({"detail-type": "EC2 Instance State-change Notification",
      "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341"],
      "detail": {"c-count": {"c1": 100}}})";
  ExpectMatch(R"({"detail": {"state": [{"exists": true}]}})", pending, true);
  ExpectMatch(R"({"detail": {"state": [{"exists": true}]}})", no_state, false);
  // "Exists matching only works on leaf nodes": c-count is an object, so it "does not exist".
  ExpectMatch(R"({"detail": {"c-count": [{"exists": false}]}})", no_state, true);
  ExpectMatch(R"({"detail": {"c-count": [{"exists": false}]}})", kRulerEvent, false);
}

TEST(PatternGuide, EqualsIgnoreCase) {
  ExpectMatch(
      R"({"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]})",
      kRulerEvent, true);
  ExpectMatch(R"({"source": [{"equals-ignore-case": "EC2"}]})", kRulerEvent, false);
}

TEST(PatternGuide, Wildcard) {
  ExpectMatch(R"({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]})",
              R"({"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/orders"})", true);
  ExpectMatch(R"({"detail": {"object": {"key": [{"wildcard": "dir/*/*.png"}]}}})",
              R"({"detail": {"object": {"key": "dir/2023/photo.png"}}})", true);
  ExpectMatch(R"({"detail": {"object": {"key": [{"wildcard": "dir/*/*.png"}]}}})",
              R"({"detail": {"object": {"key": "other/2023/photo.png"}}})", false);
}

TEST(PatternGuide, ComplexExample) {
  ExpectMatch(R"({"time": [{"prefix": "2017-10-02"}],
                  "detail": {"state": [{"anything-but": "initializing"}],
                             "c-count": [{"numeric": [">", 0, "<=", 5]}],
                             "d-count": [{"numeric": ["<", 10]}],
                             "x-limit": [{"anything-but": [100, 200, 300]}],
                             "source-ip": [{"cidr": "10.0.0.0/8"}]}})",
              kRulerEvent, true);
}

TEST(PatternGuide, LastDuplicateKeyIsUsed) {
  // User Guide: "if you include a key more than once the last reference will be the one used".
  constexpr std::string_view p = R"({"detail": {"location": [{"prefix": "us-"}],
                                                "location": [{"anything-but": "us-east"}]}})";
  ExpectMatch(p, R"({"detail": {"location": "eu-west"}})", true);
  ExpectMatch(p, R"({"detail": {"location": "us-east"}})", false);
}

TEST(PatternGuide, OrExamples) {
  constexpr std::string_view p = R"({"source": ["aws.cloudwatch"],
      "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
              {"namespace": ["AWS/EC2", "AWS/ES"]}]})";
  ExpectMatch(p, R"({"source": "aws.cloudwatch", "metricName": "ReadLatency"})", true);
  ExpectMatch(p, R"({"source": "aws.cloudwatch", "namespace": "AWS/EC2"})", true);
  ExpectMatch(p, R"({"source": "aws.cloudwatch", "namespace": "AWS/S3"})", false);
}

// --- Compilation ------------------------------------------------------------------------------

TEST(PatternCompile, OrExpandsIntoBranches) {
  auto p = Pattern::Compile(R"({"a": ["1"], "$or": [{"b": ["2"]}, {"c": ["3"], "$or": [
                                {"d": ["4"]}, {"e": ["5"]}]}]})");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->branches().size(), 3u);
  EXPECT_EQ(p->branches()[0].fields.size(), 2u);
  EXPECT_EQ(p->branches()[2].fields.size(), 3u);
  // Fields are in path order within a branch.
  EXPECT_EQ(p->branches()[2].fields[0].DottedPath(), "a");
  EXPECT_EQ(p->branches()[2].fields[2].DottedPath(), "e");
}

TEST(PatternCompile, ValueListsEncodeWithoutOrder) {
  auto a = Pattern::Compile(R"({"x": ["b", "a", {"prefix": "p"}]})");
  auto b = Pattern::Compile(R"({"x": [{"prefix": "p"}, "a", "b"]})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->branches()[0].fields[0].EncodeValues(), b->branches()[0].fields[0].EncodeValues());
}

// The message of an invalid pattern starts with the field's path.
void ExpectInvalid(std::string_view pattern, std::string_view message_part,
                   const PatternLimits& limits = {}) {
  auto p = Pattern::Compile(pattern, limits);
  ASSERT_FALSE(p.ok()) << pattern;
  EXPECT_EQ(p.error().code, kInvalidEventPattern);
  EXPECT_NE(p.error().message.find(message_part), std::string::npos)
      << "message: " << p.error().message << "\nwanted: " << message_part;
}

TEST(PatternInvalid, NamesTheField) {
  ExpectInvalid(R"({"detail": {"file-path": [{"prefix": 5}]}})",
                "detail.file-path: \"prefix\" needs a string");
  ExpectInvalid(R"({"detail": {"file-path": [{"suffix": ["x"]}]}})",
                "detail.file-path: \"suffix\" needs a string");
  ExpectInvalid(R"({"detail": {"file-path": [{"prefix": {"other": "x"}}]}})",
                "detail.file-path: \"prefix\" needs a string or {\"equals-ignore-case\"");
  ExpectInvalid(R"({"source": [{"equals-ignore-case": 1}]})",
                "source: \"equals-ignore-case\" needs a string, not number");
  ExpectInvalid(R"({"source": [{"contains": "x"}]})", "source: unknown operator \"contains\"");
  ExpectInvalid(R"({"source": [{"prefix": "a", "suffix": "b"}]})",
                "source: a match expression holds exactly one operator, found 2");
  ExpectInvalid(R"({"source": [{}]})", "source: a match expression needs one operator");
  ExpectInvalid(R"({"source": "aws.s3"})",
                "source: must be an object or an array of values to match, not string");
  ExpectInvalid(R"({"detail": {"n": 5}})", "detail.n: must be an object or an array");
  ExpectInvalid(R"({"source": []})", "source: an empty list matches nothing");
  ExpectInvalid(R"({"detail": {}})", "detail: an empty object is not allowed");
  ExpectInvalid(R"({"source": [["a"]]})", "source: a value to match must be a string");
  ExpectInvalid(R"({"d": {"e": [{"exists": "yes"}]}})", "d.e: \"exists\" needs true or false");
}

TEST(PatternInvalid, Wildcards) {
  ExpectInvalid(R"({"p": [{"wildcard": "a**b"}]})",
                "p: \"wildcard\" value \"a**b\" has consecutive '*' at position 1");
  ExpectInvalid(R"({"p": [{"wildcard": "a\\b"}]})",
                "p: \"wildcard\" value \"a\\b\" has a '\\' at position 1");
  ExpectInvalid(R"({"p": [{"wildcard": "ab\\"}]})", "position 2 that escapes neither");
  ExpectInvalid(R"({"p": [{"wildcard": 3}]})", "p: \"wildcard\" needs a string");
  ExpectInvalid(R"({"p": [{"anything-but": {"wildcard": ["ok*", "bad**"]}}]})",
                "p: \"anything-but wildcard\" value \"bad**\" has consecutive '*'");
  EXPECT_TRUE(Pattern::Compile(R"({"p": [{"wildcard": "a\\*b\\\\c*"}]})").ok());
}

TEST(PatternInvalid, AnythingBut) {
  ExpectInvalid(R"({"s": [{"anything-but": ["a", 1]}]})",
                "s: \"anything-but\" list mixes strings and numbers");
  ExpectInvalid(R"({"s": [{"anything-but": [true]}]})", "s: \"anything-but\" needs a string");
  ExpectInvalid(R"({"s": [{"anything-but": null}]})", "not null");
  ExpectInvalid(R"({"s": [{"anything-but": []}]})", "not an empty list");
  ExpectInvalid(R"({"s": [{"anything-but": {"numeric": [">", 1]}}]})",
                "s: \"anything-but\" cannot hold \"numeric\"");
  ExpectInvalid(R"({"s": [{"anything-but": {"prefix": ""}}]})",
                "s: \"anything-but\" \"prefix\" may not be empty");
  ExpectInvalid(R"({"s": [{"anything-but": {"suffix": [1]}}]})",
                "s: \"anything-but\" \"suffix\" list holds only strings");
  ExpectInvalid(R"({"s": [{"anything-but": {"prefix": "a", "suffix": "b"}}]})",
                "s: \"anything-but\" needs");
  ExpectInvalid(R"({"s": [{"anything-but": 6000000000}]})",
                "s: \"anything-but\" value 6000000000 is outside the range -5e9 to 5e9");
}

TEST(PatternInvalid, Numeric) {
  ExpectInvalid(R"({"n": [{"numeric": 5}]})", "n: \"numeric\" needs a list");
  ExpectInvalid(R"({"n": [{"numeric": [">", 1, "<"]}]})", "n: \"numeric\" needs a list");
  ExpectInvalid(R"({"n": [{"numeric": ["=>", 1]}]})", "n: \"numeric\" has no operator \"=>\"");
  ExpectInvalid(R"({"n": [{"numeric": [">", "1"]}]})",
                "n: \"numeric\" operator \">\" needs a number, not \"1\"");
  ExpectInvalid(R"({"n": [{"numeric": ["<", 1, ">", 0]}]})",
                "n: \"numeric\" range must be a lower bound (> or >=) then an upper bound");
  ExpectInvalid(R"({"n": [{"numeric": ["=", 1, "<", 3]}]})", "range must be a lower bound");
  ExpectInvalid(R"({"n": [{"numeric": [">", 5, "<", 5]}]})", "n: \"numeric\" range");
  ExpectInvalid(R"({"n": [{"numeric": [">", 6, "<=", 5]}]})", "matches no number");
  ExpectInvalid(R"({"n": [{"numeric": [">", 5e9, "<", 6e9]}]})",
                "is outside the range -5e9 to 5e9");
  ExpectInvalid(R"({"n": [{"numeric": ["=", 0.1234567]}]})",
                "n: \"numeric\" value 0.1234567 has more than six digits after the decimal point");
  EXPECT_TRUE(Pattern::Compile(R"({"n": [{"numeric": [">=", -5e9, "<=", 5e9]}]})").ok());
  EXPECT_TRUE(Pattern::Compile(R"({"n": [{"numeric": [">=", 5, "<=", 5]}]})").ok());
}

TEST(PatternInvalid, Cidr) {
  ExpectInvalid(R"({"ip": [{"cidr": "10.0.0.0"}]})",
                "ip: \"cidr\" value \"10.0.0.0\" is not an IPv4 or IPv6 block");
  ExpectInvalid(R"({"ip": [{"cidr": "10.0.0/8"}]})", "is not an IPv4 or IPv6 block");
  ExpectInvalid(R"({"ip": [{"cidr": "10.0.0.0/x"}]})", "is not an IPv4 or IPv6 block");
  ExpectInvalid(R"({"ip": [{"cidr": "10.0.0.0/33"}]})",
                "ip: \"cidr\" value \"10.0.0.0/33\" has a prefix length over 32");
  ExpectInvalid(R"({"ip": [{"cidr": "::/129"}]})", "has a prefix length over 128");
  ExpectInvalid(R"({"ip": [{"cidr": 10}]})", "ip: \"cidr\" needs a string");
}

TEST(PatternInvalid, Or) {
  ExpectInvalid(R"({"$or": [{"a": ["1"]}]})",
                "$or: needs an array of at least two objects, found 1");
  ExpectInvalid(R"({"d": {"$or": {"a": ["1"]}}})",
                "d.$or: needs an array of at least two objects, not object");
  ExpectInvalid(R"({"$or": [{"a": ["1"]}, "b"]})", "$or[1]: must be an object, not string");
  ExpectInvalid(R"({"$or": [{"a": ["1"]}, {"b": [{"prefix": 1}]}]})",
                "$or[1].b: \"prefix\" needs a string");
  ExpectInvalid(R"({"$or": [{"a": ["1"]}, {"prefix": ["x"]}]})",
                "$or[1].prefix: \"prefix\" is an operator; it cannot name a field inside $or");
  ExpectInvalid(R"({"$or": [{"a": ["1"]}, {}]})", "$or[1]: an empty object is not allowed");
}

TEST(PatternInvalid, TopLevelAndLimits) {
  ExpectInvalid(R"(["a"])", "event pattern: must be a JSON object, not array");
  ExpectInvalid(R"({"a": )", "event pattern: not valid JSON");
  ExpectInvalid(R"({})", "event pattern: an empty object is not allowed");
  std::string big = R"({"source": [")" + std::string(5000, 'x') + R"("]})";
  ExpectInvalid(big, "event pattern: 5016 characters is over the limit of 4096");
  EXPECT_TRUE(Pattern::Compile(big, PatternLimits{.max_chars = 6000}).ok());
  // The limit counts characters, not bytes.
  std::string greek;
  for (int i = 0; i < 4000; ++i) greek += "\u03b1";
  EXPECT_TRUE(Pattern::Compile(R"({"s": [")" + greek + R"("]})").ok());
  // $or combinations multiply.
  std::string many = "{";
  for (int i = 0; i < 4; ++i) {
    many += "\"f" + std::to_string(i) + "\": {\"$or\": [";
    for (int j = 0; j < 6; ++j) {
      many += (j > 0 ? ", {\"k" : "{\"k") + std::to_string(j) + "\": [1]}";
    }
    many += "]},";
  }
  many.back() = '}';
  ExpectInvalid(many, "expand into more than 1000 alternatives");
}

}  // namespace
}  // namespace wharf::events
