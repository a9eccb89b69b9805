import { expect } from "chai";
import { parseAssignment, parseHolder } from "../../cli/assignments";
import { parseExpiry } from "../../cli/expiry";
import { formatAssignments, formatExpiry, formatTable } from "../../cli/format";
import { parseMetadata } from "../../cli/json";
import { InvalidAddressError, InvalidArgumentError, InvalidPermissionError } from "../../sdk/errors";
import { StreamPermission } from "../../sdk/permissions";

const NOW = new Date("2026-11-23T12:00:00Z");
const ALICE = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

describe("cli parsing and formatting", function () {
  describe("parseExpiry", function () {
    it("reads durations from now", function () {
      expect(parseExpiry("90s", NOW).toISOString()).to.equal("2026-11-23T12:01:30.000Z");
      expect(parseExpiry("30m", NOW).toISOString()).to.equal("2026-11-23T12:30:00.000Z");
      expect(parseExpiry("12h", NOW).toISOString()).to.equal("2026-11-24T00:00:00.000Z");
      expect(parseExpiry("7d", NOW).toISOString()).to.equal("2026-11-30T12:00:00.000Z");
      expect(parseExpiry("2w", NOW).toISOString()).to.equal("2026-12-07T12:00:00.000Z");
    });

    it("reads ISO dates and times, as UTC unless a zone is given", function () {
      expect(parseExpiry("2026-12-31", NOW).toISOString()).to.equal("2026-12-31T00:00:00.000Z");
      expect(parseExpiry("2026-12-31T18:00", NOW).toISOString()).to.equal("2026-12-31T18:00:00.000Z");
      expect(parseExpiry("2026-12-31 18:00:30", NOW).toISOString()).to.equal("2026-12-31T18:00:30.000Z");
      expect(parseExpiry("2026-12-31T18:00+02:00", NOW).toISOString()).to.equal("2026-12-31T16:00:00.000Z");
      expect(parseExpiry("2026-12-31T18:00:00Z", NOW).toISOString()).to.equal("2026-12-31T18:00:00.000Z");
      expect(parseExpiry("2026-12-31T23:59:59.999-23:59", NOW).toISOString()).to.equal("2027-01-01T23:58:59.999Z");
      expect(parseExpiry("2026-12-31T00:00+0530", NOW).toISOString()).to.equal("2026-12-30T18:30:00.000Z");
    });

    for (const bad of ["", "7", "7 days", "-1d", "1y", "tomorrow", "2026-13-45", "2026-02-30", "2026-04-31T10:00Z", "31.12.2026", "2026-12-31T25:00",
      // Times that are not times: Date() reads 24:00 as the next midnight.
      "2099-12-31T24:00", "2099-12-31T24:00:00Z", "2099-12-31 24:00", "2099-12-31T23:60", "2099-12-31T23:59:60", "2099-02-30T10:00", "2099-12-31T18:00+24:00", "2099-12-31T18:00+02:60", "2099-12-31T18:00+0260"]) {
      it(`rejects ${JSON.stringify(bad)}`, function () {
        expect(() => parseExpiry(bad, NOW)).to.throw(InvalidArgumentError);
      });
    }

    it("rejects an empty duration; leaves a past date to the chain's clock", function () {
      expect(() => parseExpiry("0m", NOW)).to.throw(InvalidArgumentError, /a duration must be positive/);
      expect(parseExpiry("2020-01-01", NOW).toISOString()).to.equal("2020-01-01T00:00:00.000Z");
    });
  });

  describe("parseHolder and parseAssignment", function () {
    it("reads public and addresses, lowercasing addresses", function () {
      expect(parseHolder("public")).to.deep.equal({ public: true });
      expect(parseHolder("PUBLIC")).to.deep.equal({ public: true });
      expect(parseHolder(ALICE)).to.deep.equal({ userId: ALICE.toLowerCase() });
    });

    for (const bad of ["0x123", "alice", "", "0x0000000000000000000000000000000000000000", `${ALICE}00`]) {
      it(`rejects the holder ${JSON.stringify(bad)}`, function () {
        expect(() => parseHolder(bad)).to.throw(InvalidAddressError);
      });
    }

    it("reads --assign specs with and without expiry, and an empty list", function () {
      expect(parseAssignment(`${ALICE}=publish,Subscribe`)).to.deep.equal({
        userId: ALICE.toLowerCase(),
        permissions: [StreamPermission.PUBLISH, StreamPermission.SUBSCRIBE],
      });
      expect(parseAssignment("public=subscribe@2030-01-01T00:00Z")).to.deep.equal({
        public: true,
        permissions: [StreamPermission.SUBSCRIBE],
        expiresAt: { subscribe: new Date("2030-01-01T00:00:00Z") },
      });
      expect(parseAssignment(`${ALICE}=`)).to.deep.equal({ userId: ALICE.toLowerCase(), permissions: [] });
    });

    it("rejects malformed --assign specs with typed errors", function () {
      expect(() => parseAssignment(`${ALICE}`)).to.throw(InvalidArgumentError, /<user\|public>=<perm,perm>\[@expiry\]/);
      expect(() => parseAssignment(`=publish`)).to.throw(InvalidArgumentError);
      expect(() => parseAssignment(`${ALICE}=publish,fly`)).to.throw(InvalidPermissionError);
      expect(() => parseAssignment(`${ALICE}=publish@soon`)).to.throw(InvalidArgumentError, /Invalid expiry/);
      expect(() => parseAssignment(`0xabc=publish`)).to.throw(InvalidAddressError);
    });
  });

  describe("parseMetadata", function () {
    it("accepts JSON and compacts it; rejects anything else", function () {
      expect(parseMetadata('{ "a": [1, 2] }')).to.equal('{"a":[1,2]}');
      expect(() => parseMetadata("{a: 1}")).to.throw(InvalidArgumentError, /not valid JSON/);
    });
  });

  describe("formatting", function () {
    it("aligns table columns", function () {
      expect(formatTable(["A", "LONG HEADER"], [["wide cell", "x"], ["b", "y"]])).to.equal(
        ["A          LONG HEADER", "wide cell  x", "b          y"].join("\n"),
      );
    });

    it("shows expiries as UTC times with the distance from now, or never", function () {
      expect(formatExpiry(undefined, NOW)).to.equal("never");
      expect(formatExpiry(new Date("2026-11-30T12:00:00Z"), NOW)).to.equal("2026-11-30 12:00 UTC (in 7d)");
      expect(formatExpiry(new Date("2026-11-23T14:30:00Z"), NOW)).to.equal("2026-11-23 14:30 UTC (in 2h 30m)");
      expect(formatExpiry(new Date("2026-11-23T11:00:00Z"), NOW)).to.equal("2026-11-23 11:00 UTC (1h ago)");
    });

    it("lists holders with checksummed addresses, one row per expiry", function () {
      const table = formatAssignments(
        [
          { userId: ALICE.toLowerCase(), permissions: [StreamPermission.EDIT, StreamPermission.GRANT] },
          {
            public: true,
            permissions: [StreamPermission.PUBLISH, StreamPermission.SUBSCRIBE],
            expiresAt: { subscribe: new Date("2026-11-24T12:00:00Z") },
          },
        ],
        NOW,
      );
      expect(table.split("\n")).to.deep.equal([
        "HOLDER                                      PERMISSIONS  EXPIRES",
        `${ALICE}  edit, grant  never`,
        "public                                      publish      never",
        "public                                      subscribe    2026-11-24 12:00 UTC (in 1d)",
      ]);
      expect(formatAssignments([], NOW)).to.equal("No permissions.");
    });
  });
});
