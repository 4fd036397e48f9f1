package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/porticohq/portico/internal/portico"
)

// Run runs the conformance suite on every engine.
func Run(t *testing.T) {
	for _, e := range Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					clock := NewClock()
					db := Open(t, e, clock.Now)
					tc.run(t, &Fixture{Store: db, Clock: clock, Ctx: context.Background()})
				})
			}
		})
	}
}

// Fixture is what a conformance case gets: a fresh store and its clock.
type Fixture struct {
	Store portico.Store
	Clock *Clock
	Ctx   context.Context
}

// A case is one conformance check, run on a fresh store of every engine.
type testCase struct {
	name string
	run  func(t *testing.T, f *Fixture)
}

// cases is the whole suite: every case, by the name it runs under.
var cases = []testCase{
	{"App/CreateFindList", testAppCreateFindList},
	{"App/FindUnknown", testAppFindUnknown},
	{"App/UpdateUnknown", testAppUpdateUnknown},
	{"App/Update", testAppUpdate},
	{"App/UpdateTouchesOnlyThatApp", testAppUpdateTouchesOnlyThatApp},
	{"App/DeleteErasesEverythingInBatches", testAppDeleteErasesEverythingInBatches},
	{"App/DeleteEmptyApp", testAppDeleteEmptyApp},
	{"App/RenameChangesOnlyTheName", testAppRenameChangesOnlyTheName},
	{"APIKey/CreateForUnknownApp", testAPIKeyCreateForUnknownApp},
	{"APIKey/CreateListFind", testAPIKeyCreateListFind},
	{"APIKey/Revoke", testAPIKeyRevoke},
	{"APIKey/LookupsAtOnceEachGetTheirOwn", testAPIKeyLookupsAtOnceEachGetTheirOwn},
	{"APIKey/OtherAppCannotSeeIt", testAPIKeyOtherAppCannotSeeIt},
	{"APIKey/OtherAppCannotRevokeIt", testAPIKeyOtherAppCannotRevokeIt},
	{"Account/CreateFind", testAccountCreateFind},
	{"Account/DuplicateID", testAccountDuplicateID},
	{"Account/ListPagination", testAccountListPagination},
	{"Account/Update", testAccountUpdate},
	{"Account/DeleteRemovesMemberships", testAccountDeleteRemovesMemberships},
	{"Account/OtherAppCannotSeeChangeOrDeleteIt", testAccountOtherAppCannotSeeChangeOrDeleteIt},
	{"FindOrCreateUser/CreatesThenFinds", testFindOrCreateUserCreatesThenFinds},
	{"FindOrCreateUser/ByEmail", testFindOrCreateUserByEmail},
	{"FindOrCreateUser/EmailAndExternalIDNamespacesAreSeparate", testFindOrCreateUserEmailAndExternalIDNamespacesAreSeparate},
	{"FindOrCreateUser/RefuseHeldEmail", testFindOrCreateUserRefuseHeldEmail},
	{"FindOrCreateUser/FoundUserKeepsFieldsAndGainsAccounts", testFindOrCreateUserFoundUserKeepsFieldsAndGainsAccounts},
	{"FindOrCreateUser/UnknownAccountWritesNothing", testFindOrCreateUserUnknownAccountWritesNothing},
	{"FindOrCreateUser/MaxUsers", testFindOrCreateUserMaxUsers},
	{"FindOrCreateUser/MaxUsersHoldsUnderConcurrency", testFindOrCreateUserMaxUsersHoldsUnderConcurrency},
	{"FindOrCreateUser/ConcurrentSameExternalID", testFindOrCreateUserConcurrentSameExternalID},
	{"FindOrCreateUser/ConcurrentSameExternalIDAtQuota", testFindOrCreateUserConcurrentSameExternalIDAtQuota},
	{"ListUsers/Filters", testListUsersFilters},
	{"ListUsers/KeysetPaginationOverTies", testListUsersKeysetPaginationOverTies},
	{"UpdateUser/Fields", testUpdateUserFields},
	{"UpdateUser/Conflict", testUpdateUserConflict},
	{"UpdateUser/ReplacesMemberships", testUpdateUserReplacesMemberships},
	{"DeleteUser/CascadesMemberships", testDeleteUserCascadesMemberships},
	{"FindUserByID/OtherAppCannotSeeIt", testFindUserByIDOtherAppCannotSeeIt},
	{"FindUserByID/AndExternalID", testFindUserByIDAndExternalID},
	{"Users/OtherAppCannotListOrFindByKey", testUsersOtherAppCannotListOrFindByKey},
	{"FindSessionByTokenHash", testFindSessionByTokenHash},
	{"NewestActiveSession", testNewestActiveSession},
	{"Session/LimitRejectExactUnderConcurrency", testSessionLimitRejectExactUnderConcurrency},
	{"Session/LimitEvictOldestExactUnderConcurrency", testSessionLimitEvictOldestExactUnderConcurrency},
	{"Session/LimitEvictsTheOldestActive", testSessionLimitEvictsTheOldestActive},
	{"Session/LimitCountNeverUnderstates", testSessionLimitCountNeverUnderstates},
	{"Session/FindByTokenHashConcurrent", testFindSessionByTokenHashConcurrent},
	{"Session/FindByTokenHashSeesRevocation", testFindSessionByTokenHashSeesRevocation},
	{"Session/Extend", testSessionExtend},
	{"Session/ExtendWithinMaxTTL", testSessionExtendWithinMaxTTL},
	{"Session/ExtendsAtOnceEachGetTheirOwn", testSessionExtendsAtOnceEachGetTheirOwn},
	{"Session/Revoke", testSessionRevoke},
	{"Session/RevokeUserSessions", testSessionRevokeUserSessions},
	{"Session/RefreshRotates", testSessionRefreshRotates},
	{"Session/RefreshRevivesWithinItsLifeOnly", testSessionRefreshRevivesWithinItsLifeOnly},
	{"Session/RefreshRevivalKeepsTheLimit", testSessionRefreshRevivalKeepsTheLimit},
	{"Session/RefreshConcurrentOneWins", testSessionRefreshConcurrentOneWins},
	{"Session/RefreshReuseRevokes", testSessionRefreshReuseRevokes},
	{"Session/FindByRefreshHash", testSessionFindByRefreshHash},
	{"Session/Purge", testSessionPurge},
	{"Session/ListActive", testSessionListActive},
	{"Session/AnotherAppCannotSeeExtendRevokeOrRefreshIt", testSessionAnotherAppCannotSeeExtendRevokeOrRefreshIt},
	{"Integration/PutFindReplace", testIntegrationPutFindReplace},
	{"Integration/ListPages", testIntegrationListPages},
	{"Integration/FindSeveral", testIntegrationFindSeveral},
	{"Integration/UnknownAccount", testIntegrationUnknownAccount},
	{"Integration/Quota", testIntegrationQuota},
	{"Integration/AnotherAppCannotSeeChangeOrDeleteIt", testIntegrationAnotherAppCannotSeeChangeOrDeleteIt},
	{"Integration/DeleteWithConnections", testIntegrationDeleteWithConnections},
	{"Integration/MoveDestinations", testIntegrationMoveDestinations},
	{"Connection/PutFindReplace", testConnectionPutFindReplace},
	{"Connection/UnknownUserOrIntegration", testConnectionUnknownUserOrIntegration},
	{"Connection/ConcurrentPutsMakeOneRow", testConnectionConcurrentPutsMakeOneRow},
	{"Connection/ListFiltersAndStatus", testConnectionListFiltersAndStatus},
	{"Connection/RevokeErasesCredentials", testConnectionRevokeErasesCredentials},
	{"Connection/AnotherAppCannotSeeChangeOrRevokeIt", testConnectionAnotherAppCannotSeeChangeOrRevokeIt},
	{"Connection/DeletingTheUserErasesIt", testConnectionDeletingTheUserErasesIt},
	{"Connection/ListOrderUnderLoad", testConnectionListOrderUnderLoad},
	{"Refresh/OneClaimantAtATime", testRefreshOneClaimantAtATime},
	{"Refresh/LeaseLapses", testRefreshLeaseLapses},
	{"Refresh/Complete", testRefreshComplete},
	{"Refresh/TransientFailureThenRecovery", testRefreshTransientFailureThenRecovery},
	{"Refresh/PermanentFailureExpires", testRefreshPermanentFailureExpires},
	{"Refresh/ReconnectRecovers", testRefreshReconnectRecovers},
	{"Refresh/ReplacedOrRevokedUnderTheLease", testRefreshReplacedOrRevokedUnderTheLease},
	{"Refresh/ListDue", testRefreshListDue},
	{"Events/NoneWithoutWebhook", testEventsNoneWithoutWebhook},
	{"Events/EveryChange", testEventsEveryChange},
	{"Events/UserDeleted", testEventsUserDeleted},
	{"Events/AtomicWithChange", testEventsAtomicWithChange},
	{"Events/ClaimInOrderPerUser", testEventsClaimInOrderPerUser},
	{"Events/ConcurrentWritersDeliverInOrder", testEventsConcurrentWritersDeliverInOrder},
	{"Sealed/CiphertextMovedToAnotherRowFails", testSealedCiphertextMovedToAnotherRowFails},
	{"Sealed/RotationWhileServing", testSealedRotationWhileServing},
	{"Sealed/UnopenableValuesAreCountedAndLeft", testSealedUnopenableValuesAreCountedAndLeft},
	{"Sealed/ReplaceComparesTheOldValue", testSealedReplaceComparesTheOldValue},
	{"Activity/ListNewestFirstWithFilters", testActivityListNewestFirstWithFilters},
	{"Activity/KeysetPagesOverTies", testActivityKeysetPagesOverTies},
	{"Activity/OtherAppCannotSeeIt", testActivityOtherAppCannotSeeIt},
	{"Activity/CommittedWithinASecondWithoutFlush", testActivityCommittedWithinASecondWithoutFlush},
	{"Activity/PurgeByEachAppsRetention", testActivityPurgeByEachAppsRetention},
	{"Activity/ManyConcurrentWriters", testActivityManyConcurrentWriters},
	{"Approval/UsedOnceUnderConcurrency", testApprovalUsedOnceUnderConcurrency},
	{"Approval/OnePerCallUnderConcurrency", testApprovalOnePerCallUnderConcurrency},
	{"Approval/DeclinedExpiredOrPendingNeverUsed", testApprovalDeclinedExpiredOrPendingNeverUsed},
	{"Approval/OtherAppOrUserCannotSeeOrDecideIt", testApprovalOtherAppOrUserCannotSeeOrDecideIt},
	{"Approval/Purge", testApprovalPurge},
	{"Verification/SettledAndUsedOnce", testVerificationSettledAndUsedOnce},
	{"Verification/Expires", testVerificationExpires},
	{"Verification/OtherAppCannotSeeOrSettleIt", testVerificationOtherAppCannotSeeOrSettleIt},
	{"OAuthClient/OtherAppCannotSeeIt", testOAuthClientOtherAppCannotSeeIt},
	{"OAuthClient/BoundEvictsTheOldestUnused", testOAuthClientBoundEvictsTheOldestUnused},
	{"AuthCode/UsedOnce", testAuthCodeUsedOnce},
	{"OAuthState/UsedOnceByItsSession", testOAuthStateUsedOnceByItsSession},
	{"OAuthState/ExpiresAtItsEnd", testOAuthStateExpiresAtItsEnd},
	{"OAuthState/AnotherSessionCannotSpendIt", testOAuthStateAnotherSessionCannotSpendIt},
	{"Meta/CompareAndSwap", testMetaCompareAndSwap},
}

// NewApp creates an app with a key and returns it.
func (f *Fixture) NewApp(t testing.TB, name string) *portico.App {
	t.Helper()
	app := &portico.App{ID: portico.NewID(portico.PrefixApp), Name: name, Settings: portico.DefaultAppSettings()}
	_, hash := portico.NewToken(portico.PrefixAPIKeySecret)
	key := &portico.APIKey{ID: portico.NewID(portico.PrefixAPIKey), AppID: app.ID, Hash: hash, Hint: "abcd", Permissions: []string{portico.PermissionAll}}
	if err := f.Store.CreateApp(f.Ctx, app, key); err != nil {
		t.Fatalf("create app: %v", err)
	}
	return app
}

// diff reports how got differs from want (-want +got), "" when they are
// equal. It compares as reflect.DeepEqual does, unexported fields included,
// except that times are equal when they are the same instant in the same
// location, whatever their monotonic clock readings. opts add to these.
func diff(want, got any, opts ...cmp.Option) string {
	return cmp.Diff(want, got, append([]cmp.Option{cmp.Exporter(func(reflect.Type) bool { return true }),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) && a.Location() == b.Location() })}, opts...)...)
}

// WantCode fails unless err carries code.
func WantCode(t testing.TB, err error, code portico.Code) {
	t.Helper()
	if got := portico.ErrorCode(err); got != code {
		t.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
}
