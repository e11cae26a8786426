import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFilterPatterns } from "../../../src/filter/index.js";
import { bodyMatches, message } from "./filter-fixtures.js";

/**
 * The examples of AWS's documentation, with the outcome the documentation gives. An EventBridge
 * event is the message body here, so each event pattern is applied under `data`.
 */

const ec2Event = {
  version: "0",
  id: "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "012345679012",
  time: "2017-10-02T16:24:49Z",
  region: "us-east-1",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  detail: {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "instance-id": "i-000000aaaaaa00000",
    state: "running",
  },
};

const withDetail = (detail: Record<string, unknown>) => ({
  ...ec2Event,
  detail: { ...ec2Event.detail, ...detail },
});

describe("EventBridge: content filtering in event patterns", () => {
  it("prefix: time starting with 2017-10-02", () => {
    const pattern = { time: [{ prefix: "2017-10-02" }] };
    assert.equal(bodyMatches(pattern, { time: "2017-10-02T18:43:48Z" }), true);
    assert.equal(bodyMatches(pattern, { time: "2017-10-03T18:43:48Z" }), false);
  });

  it("prefix ignoring case: service starting with EventB, EVENTB, eventb", () => {
    const pattern = { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } };
    for (const service of ["EventBridge", "EVENTBRIDGE", "eventbridge"]) {
      assert.equal(bodyMatches(pattern, { detail: { service } }), true, service);
    }
    assert.equal(bodyMatches(pattern, { detail: { service: "Lambda" } }), false);
  });

  it("suffix: FileName ending with .png", () => {
    const pattern = { FileName: [{ suffix: ".png" }] };
    assert.equal(bodyMatches(pattern, { FileName: "image.png" }), true);
    assert.equal(bodyMatches(pattern, { FileName: "image.jpg" }), false);
  });

  it("suffix ignoring case: FileName ending with .png or .PNG", () => {
    const pattern = { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } };
    assert.equal(bodyMatches(pattern, { detail: { FileName: "image.PNG" } }), true);
    assert.equal(bodyMatches(pattern, { detail: { FileName: "image.png" } }), true);
  });

  it("anything-but with a string, a number, and lists of each", () => {
    assert.equal(bodyMatches({ detail: { state: [{ "anything-but": "initializing" }] } }, ec2Event), true);
    assert.equal(
      bodyMatches(
        { detail: { state: [{ "anything-but": "initializing" }] } },
        withDetail({ state: "initializing" }),
      ),
      false,
    );
    assert.equal(bodyMatches({ detail: { "x-limit": [{ "anything-but": 123 }] } }, ec2Event), true);
    assert.equal(
      bodyMatches({ detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } }, ec2Event),
      true,
    );
    assert.equal(
      bodyMatches(
        { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
        withDetail({ state: "stopped" }),
      ),
      false,
    );
    assert.equal(
      bodyMatches(
        { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
        withDetail({ "x-limit": 200 }),
      ),
      false,
    );
  });

  it("anything-but a prefix: state not starting with init", () => {
    const pattern = { detail: { state: [{ "anything-but": { prefix: "init" } }] } };
    assert.equal(bodyMatches(pattern, ec2Event), true);
    assert.equal(bodyMatches(pattern, withDetail({ state: "initializing" })), false);
  });

  it("anything-but a suffix, ignoring case, and a wildcard (operators table)", () => {
    assert.equal(
      bodyMatches({ FileName: [{ "anything-but": { suffix: ".png" } }] }, { FileName: "a.png" }),
      false,
    );
    assert.equal(
      bodyMatches({ FileName: [{ "anything-but": { suffix: ".png" } }] }, { FileName: "a.gif" }),
      true,
    );
    const ignoreCase = { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] };
    assert.equal(bodyMatches(ignoreCase, { state: "INITIALIZING" }), false);
    assert.equal(bodyMatches(ignoreCase, { state: "running" }), true);
    const wildcard = { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] };
    assert.equal(bodyMatches(wildcard, { FilePath: "/usr/lib/libc.so" }), false);
    assert.equal(bodyMatches(wildcard, { FilePath: "/usr/bin/env" }), true);
  });

  it("numeric: all of c-count in (0, 5], d-count < 10 and x-limit = 3.018e2", () => {
    const pattern = {
      detail: {
        "c-count": [{ numeric: [">", 0, "<=", 5] }],
        "d-count": [{ numeric: ["<", 10] }],
        "x-limit": [{ numeric: ["=", 3.018e2] }],
      },
    };
    assert.equal(bodyMatches(pattern, ec2Event), true);
    assert.equal(bodyMatches(pattern, withDetail({ "c-count": 6 })), false);
    assert.equal(bodyMatches(pattern, withDetail({ "x-limit": 301 })), false);
  });

  it("exists true: matches an event with detail.state, not one without it", () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    const pending = { ...ec2Event, detail: { "instance-id": "i-abcd1111", state: "pending" } };
    assert.equal(bodyMatches(pattern, pending), true);
    assert.equal(bodyMatches(pattern, { "detail-type": ["x"], detail: { "c-count": { c1: 100 } } }), false);
  });

  it("exists false: matches an event without detail.c-count, and one where c-count is not a leaf", () => {
    const pattern = { detail: { "c-count": [{ exists: false }] } };
    assert.equal(bodyMatches(pattern, { detail: { state: ["initializing", "running"] } }), true);
    assert.equal(
      bodyMatches(pattern, { detail: { state: ["initializing", "running"], "c-count": { c1: 100 } } }),
      true,
    );
    assert.equal(bodyMatches(pattern, ec2Event), false);
  });

  it("complex example combining prefix, anything-but and numeric", () => {
    const pattern = {
      time: [{ prefix: "2017-10-02" }],
      detail: {
        state: [{ "anything-but": "initializing" }],
        "c-count": [{ numeric: [">", 0, "<=", 5] }],
        "d-count": [{ numeric: ["<", 10] }],
        "x-limit": [{ "anything-but": [100, 200, 300] }],
      },
    };
    assert.equal(bodyMatches(pattern, ec2Event), true);
    assert.equal(bodyMatches(pattern, withDetail({ "x-limit": 300 })), false);
  });

  it("a key given twice: the last one is used", () => {
    const filter = compileFilterPatterns(
      JSON.parse(
        '[{"data": {"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}}]',
      ),
    );
    assert.equal(filter.matches(message({ data: { detail: { location: "eu-west" } } })), true);
    assert.equal(filter.matches(message({ data: { detail: { location: "us-east" } } })), false);
  });
});

describe("EventBridge: null values and empty strings", () => {
  const event = { ...ec2Event, resources: [], detail: { eventVersion: "", responseElements: null } };

  it("matches an empty string and a null value, which are not interchangeable", () => {
    assert.equal(bodyMatches({ detail: { eventVersion: [""] } }, event), true);
    assert.equal(bodyMatches({ detail: { responseElements: [null] } }, event), true);
    assert.equal(bodyMatches({ detail: { responseElements: [""] } }, event), false);
    assert.equal(bodyMatches({ detail: { eventVersion: [null] } }, event), false);
  });
});

describe("EventBridge: arrays in events", () => {
  it("matches when the pattern's values and the event's array intersect", () => {
    const pattern = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
      ],
    };
    const event = {
      resources: [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
      ],
    };
    assert.equal(bodyMatches(pattern, event), true);
    assert.equal(
      bodyMatches(pattern, { resources: ["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"] }),
      false,
    );
  });

  it("matches fields of objects inside arrays, within one element (Event Ruler's array matching)", () => {
    const event = {
      employees: [
        { firstName: "John", lastName: "Doe" },
        { firstName: "Anna", lastName: "Smith" },
        { firstName: "Peter", lastName: "Jones" },
      ],
    };
    assert.equal(bodyMatches({ employees: { firstName: ["Anna"] } }, event), true);
    assert.equal(bodyMatches({ employees: { firstName: ["Anna"], lastName: ["Jones"] } }, event), false);
  });
});

describe("EventBridge: comparison operators table", () => {
  const table: Array<[string, unknown, unknown, unknown]> = [
    [
      "And",
      { Location: ["New York"], Day: ["Monday"] },
      { Location: "New York", Day: "Monday" },
      { Location: "New York", Day: "Friday" },
    ],
    ["Empty", { LastName: [""] }, { LastName: "" }, { LastName: "Doe" }],
    ["Equals", { Name: ["Alice"] }, { Name: "Alice" }, { Name: "alice" }],
    [
      "Equals (ignore case)",
      { Name: [{ "equals-ignore-case": "alice" }] },
      { Name: "Alice" },
      { Name: "Alicia" },
    ],
    ["Ends with", { FileName: [{ suffix: ".png" }] }, { FileName: "a.png" }, { FileName: "a.gif" }],
    ["Exists", { ProductName: [{ exists: true }] }, { ProductName: "p" }, {}],
    ["Does not exist", { ProductName: [{ exists: false }] }, {}, { ProductName: "p" }],
    ["Not", { Weather: [{ "anything-but": ["Raining"] }] }, { Weather: "Sunny" }, { Weather: "Raining" }],
    ["Null", { UserID: [null] }, { UserID: null }, { UserID: "u1" }],
    ["Numeric (equals)", { Price: [{ numeric: ["=", 100] }] }, { Price: 100 }, { Price: 101 }],
    ["Numeric (range)", { Price: [{ numeric: [">", 10, "<=", 20] }] }, { Price: 20 }, { Price: 10 }],
    ["Or", { PaymentType: ["Credit", "Debit"] }, { PaymentType: "Debit" }, { PaymentType: "Cash" }],
    [
      "Or (multiple fields)",
      { $or: [{ Location: ["New York"] }, { Day: ["Monday"] }] },
      { Day: "Monday" },
      { Location: "Paris", Day: "Friday" },
    ],
    ["Begins with", { Region: [{ prefix: "us-" }] }, { Region: "us-east-1" }, { Region: "eu-west-1" }],
    [
      "Begins with (ignore case)",
      { service: [{ prefix: { "equals-ignore-case": "eventb" } }] },
      { service: "EventBridge" },
      { service: "SQS" },
    ],
    [
      "Ends with (ignore case)",
      { service: [{ suffix: { "equals-ignore-case": "tbridge" } }] },
      { service: "EVENTBRIDGE" },
      { service: "SQS" },
    ],
    [
      "Wildcard",
      { FileName: [{ wildcard: "dir/*.png" }] },
      { FileName: "dir/a.png" },
      { FileName: "dir/a.gif" },
    ],
  ];
  for (const [name, pattern, matching, notMatching] of table) {
    it(`${name}: ${JSON.stringify(pattern)}`, () => {
      assert.equal(bodyMatches(pattern, matching), true);
      assert.equal(bodyMatches(pattern, notMatching), false);
    });
  }
});

describe("Lambda event filtering", () => {
  it("metadata and data together (partitionKey as the routing key here)", () => {
    const filter = compileFilterPatterns([{ routingKey: ["1"], data: { Location: ["Los Angeles"] } }]);
    assert.equal(filter.matches(message({ routingKey: "1", data: { Location: "Los Angeles" } })), true);
    assert.equal(filter.matches(message({ routingKey: "2", data: { Location: "Los Angeles" } })), false);
    assert.equal(filter.matches(message({ routingKey: "1", data: { Location: "Seattle" } })), false);
  });

  it("Temperature greater than 50 and at most 60", () => {
    const pattern = { Temperature: [{ numeric: [">", 50, "<=", 60] }] };
    assert.equal(bodyMatches(pattern, { Temperature: 60 }), true);
    assert.equal(bodyMatches(pattern, { Temperature: 50 }), false);
    assert.equal(bodyMatches(pattern, { Temperature: "55" }), false);
  });

  it("multi-level filtering: a DynamoDB key N equal to 101", () => {
    const pattern = { dynamodb: { Keys: { Id: { N: ["101"] } } } };
    const record = {
      dynamodb: {
        Keys: { Id: { N: "101" } },
        NewImage: { Message: { S: "New item!" }, Id: { N: "101" } },
        SequenceNumber: "111",
        SizeBytes: 26,
        StreamViewType: "NEW_AND_OLD_IMAGES",
      },
    };
    assert.equal(bodyMatches(pattern, record), true);
    assert.equal(bodyMatches(pattern, { dynamodb: { Keys: { Id: { N: "102" } } } }), false);
  });

  it('the console example { "a": [1, 2] }: a equal to 1 or 2', () => {
    assert.equal(bodyMatches({ a: [1, 2] }, { a: 2 }), true);
    assert.equal(bodyMatches({ a: [1, 2] }, { a: 3 }), false);
  });

  it("a body that is not JSON is dropped by a pattern over the body, filtered on metadata otherwise", () => {
    assert.equal(compileFilterPatterns([{ data: { Location: ["x"] } }]).matches(message()), false);
    assert.equal(compileFilterPatterns([{ routingKey: ["orders.created"] }]).matches(message()), true);
  });
});
